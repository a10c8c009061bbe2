package ncip

import "testing"

func TestCredentials(t *testing.T) {
	in := func(typ, data string) AuthenticationInput {
		return AuthenticationInput{Type: SV(typ), Data: data, DataFormat: SV("text/plain")}
	}
	for _, tc := range []struct {
		name    string
		id      *UserID
		in      []AuthenticationInput
		barcode string
		pin     string
		hasPIN  bool
	}{
		{"barcode and PIN", nil, []AuthenticationInput{in("Barcode Id", " N0001 "), in("PIN", "1234")}, "N0001", "1234", true},
		{"FOLIO spelling", nil, []AuthenticationInput{in("barcodeid", "N0001"), in("Password", "x")}, "N0001", "x", true},
		{"patron PIN is a PIN", nil, []AuthenticationInput{in("Username", "N0001"), in("Patron PIN", "1234")}, "N0001", "1234", true},
		{"unknown types ignored", nil, []AuthenticationInput{in("Fingerprint", "abc"), in("User Id", "N0002")}, "N0002", "", false},
		{"UserId wins", &UserID{Value: "N0003"}, []AuthenticationInput{in("Barcode Id", "N0001"), in("PIN", "")}, "N0003", "", true},
		{"nothing", nil, nil, "", "", false},
	} {
		b, p, has := Credentials(tc.id, tc.in)
		if b != tc.barcode || p != tc.pin || has != tc.hasPIN {
			t.Errorf("%s: got %q %q %t, want %q %q %t", tc.name, b, p, has, tc.barcode, tc.pin, tc.hasPIN)
		}
	}
}
