package ncip

import "strings"

// Credentials reads the user a message names and the PIN it carries, from
// its UserId or its AuthenticationInput elements (NCIP 2.02 Part 1
// §"Authentication Input"). Input types are compared ignoring case, spaces
// and punctuation, as partners spell them freely: "PIN", "Password" and any
// type ending in "PIN" ("Patron PIN") carry the PIN; "Barcode Id", "User
// Id", "Username" and any type naming a barcode or user id carry the user.
// Other types (a fingerprint, say) are ignored. A UserId wins over an input
// naming the user. hasPIN reports whether a PIN element was sent at all,
// even an empty one.
func Credentials(id *UserID, in []AuthenticationInput) (barcode, pin string, hasPIN bool) {
	if id != nil {
		barcode = strings.TrimSpace(id.Value)
	}
	for _, ai := range in {
		switch t := squash(ai.Type.Value); {
		case t == "pin" || t == "password" || strings.HasSuffix(t, "pin"):
			pin, hasPIN = ai.Data, true
		case strings.Contains(t, "barcode") || strings.Contains(t, "userid") || t == "username":
			if barcode == "" {
				barcode = strings.TrimSpace(ai.Data)
			}
		}
	}
	return barcode, pin, hasPIN
}
