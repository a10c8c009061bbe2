package ncip

import (
	"bytes"
	"strings"
	"sync"
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

// TestEncodeConcurrent checks that encoders shared through a pool give each
// caller its own bytes: messages encoded at once from many goroutines come
// out as they do one at a time, and a returned slice is not overwritten by
// a later message.
func TestEncodeConcurrent(t *testing.T) {
	var msgs []*Message
	var want [][]byte
	for i := range 20 {
		m := &Message{Body: &LookupUserResponse{UserID: &UserID{Value: strings.Repeat("U", i+1)}}}
		if i%3 == 0 {
			m = &Message{Problems: []Problem{*NewProblem(ProblemUnknownUser, strings.Repeat("x", 100*i))}}
		}
		out, err := Encode(m, EncodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		msgs, want = append(msgs, m), append(want, out)
	}
	first := bytes.Clone(want[0])
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for k := range 50 {
				i := (g + k) % len(msgs)
				out, err := Encode(msgs[i], EncodeOptions{})
				if err != nil || !bytes.Equal(out, want[i]) {
					t.Errorf("message %d: %v\n%s\nwant\n%s", i, err, out, want[i])
					return
				}
			}
		})
	}
	wg.Wait()
	if !bytes.Equal(first, want[0]) {
		t.Errorf("an earlier result was overwritten:\n%s", want[0])
	}
}
