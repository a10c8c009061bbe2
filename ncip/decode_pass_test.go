package ncip

import (
	"strings"
	"testing"
)

// TestDecodeOnePassOrder checks that the one-pass decoder reports problems
// as a check of the whole document before decoding would: a limit,
// directive or lexical error anywhere (after the root element too) wins over
// a decoding problem and comes without a Message, while a decoding problem
// in a document that passes still carries the version read.
func TestDecodeOnePassOrder(t *testing.T) {
	deep := strings.Repeat("<a>", 70) + strings.Repeat("</a>", 70)
	cases := []struct {
		name, in, problem, detail string
		message                   bool // a Message (with its version) comes back
	}{
		{"unknown service, then too many elements", `<NCIPMessage version="9"><UpdateUser/><X>` + strings.Repeat("<a/>", 10001) + `</X></NCIPMessage>`, ProblemInvalidMessageSyntaxError, "more than 10000 elements", false},
		{"two services, then too deep", `<NCIPMessage version="9"><CheckInItem/><DeleteItem/>` + deep + `</NCIPMessage>`, ProblemInvalidMessageSyntaxError, "elements nested deeper than 64", false},
		{"bad date, then lexical error", `<NCIPMessage version="9"><RenewItem><DesiredDateDue>soon</DesiredDateDue></RenewItem><a b=></NCIPMessage>`, ProblemInvalidMessageSyntaxError, "XML syntax error on line 1: unquoted or missing attribute value in element", false},
		{"trailing nest after the root", `<NCIPMessage><CheckInItem/></NCIPMessage>` + deep, ProblemInvalidMessageSyntaxError, "elements nested deeper than 64", false},
		{"trailing directive after the root", `<NCIPMessage><CheckInItem/></NCIPMessage><!DOCTYPE x>`, ProblemInvalidMessageSyntaxError, "DOCTYPE is not allowed", false},
		{"trailing lexical error after the root", "<NCIPMessage><CheckInItem/></NCIPMessage>\n<", ProblemInvalidMessageSyntaxError, "XML syntax error on line 2: unexpected EOF", false},
		{"mismatch reported on its line", "<NCIPMessage version=\"9\">\n<LookupUser>\n<UserId></LookupUser></NCIPMessage>", ProblemInvalidMessageSyntaxError, "XML syntax error on line 3: element <UserId> closed by </LookupUser>", true},
		{"unknown service keeps the version", `<NCIPMessage version="9"><UpdateUser/></NCIPMessage>`, ProblemUnsupportedService, "UpdateUser is not supported", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := Decode([]byte(c.in), Limits{})
			p := problemOf(t, err, c.problem)
			if !strings.HasPrefix(p.Detail, c.detail) {
				t.Errorf("ProblemDetail = %q, want prefix %q", p.Detail, c.detail)
			}
			if got := m != nil; got != c.message {
				t.Fatalf("message returned = %v, want %v", got, c.message)
			}
			if m != nil {
				eq(t, "version", m.Version, "9")
			}
		})
	}
	// Trailing text and comments after the root are accepted, as before.
	m, err := Decode([]byte("<NCIPMessage><CheckInItem/></NCIPMessage>\n<!-- end -->\n"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	body[*CheckInItem](t, m)
}
