package ncip

import (
	"testing"
	"time"
)

// TestEncodeRuleErrors checks the error Encode gives for each kind of
// schema rule (the ncip struct tags), as a caller sees it; the rules are
// read once per type and cached, so each case runs twice.
func TestEncodeRuleErrors(t *testing.T) {
	user := &UserID{Value: "U1"}
	cases := []struct {
		name string
		body Body
		want string
	}{
		{"req", &LookupUserResponse{}, "ncip: encode: LookupUserResponse/UserId is required"},
		{"req below", &LookupUserResponse{UserID: &UserID{}}, "ncip: encode: LookupUserResponse/UserId/UserIdentifierValue is required"},
		{"one=", &LookupUserResponse{UserID: user, UserOptionalFields: &UserOptionalFields{NameInformation: &NameInformation{
			Personal: &PersonalNameInformation{Unstructured: "A"}, Organizations: []OrganizationNameInformation{{Type: SV("x"), Name: "B"}}}}},
			"ncip: encode: LookupUserResponse/UserOptionalFields/NameInformation needs exactly one of (PersonalNameInformation | OrganizationNameInformation), has 2"},
		{"any=", &LookupUserResponse{UserID: user, RequestedItems: []RequestedItem{{RequestType: SV("Loan"), RequestStatusType: SV("In Process"), DatePlaced: At(time.Unix(0, 0))}}},
			"ncip: encode: LookupUserResponse/RequestedItem needs one of (ItemId | RequestId)"},
		{"min=1", &LookupItemResponse{ItemID: &ItemID{Value: "I1"}, ItemOptionalFields: &ItemOptionalFields{Locations: []Location{{Type: SV("Permanent")}}}},
			"ncip: encode: LookupItemResponse/ItemOptionalFields/Location/LocationName>LocationNameInstance must occur at least once"},
	}
	for _, c := range cases {
		for range 2 {
			_, err := Encode(&Message{Body: c.body}, EncodeOptions{})
			if err == nil || err.Error() != c.want {
				t.Errorf("%s: Encode error = %v, want %q", c.name, err, c.want)
			}
		}
	}
}
