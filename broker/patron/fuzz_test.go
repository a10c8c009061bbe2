package patron

import (
	"bytes"
	"testing"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"
)

// placeholder stands for the barcode when the template's own tree is built.
const placeholder = "placeholder-7f3a"

// FuzzFilter checks that any barcode, escaped into the template, gives a
// filter that parses (RFC 4515) into the very tree of the template with the
// placeholder, the only difference being the equality value, which is the
// barcode byte for byte: no barcode can add a component, a wildcard or a
// presence test.
func FuzzFilter(f *testing.F) {
	for _, b := range injectionBarcodes(f) {
		f.Add(b)
	}
	f.Add("p0001")
	f.Add("\xff\xfe(")
	templates := []string{
		"(uid=%s)",
		"(&(objectClass=inetOrgPerson)(uid=%s))",
		"(&(objectClass=person)(|(employeeNumber=%s)(!(ou=staff))))",
	}
	f.Fuzz(func(t *testing.T, barcode string) {
		for _, tmpl := range templates {
			ft, err := newFilterTemplate(tmpl)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ldap.CompileFilter(ft.build(barcode))
			if err != nil {
				t.Fatalf("barcode %q: filter %q does not compile: %v", barcode, ft.build(barcode), err)
			}
			want, err := ldap.CompileFilter(ft.build(placeholder))
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			sameTree(t, want, got, barcode, &n)
			if n != 1 {
				t.Fatalf("barcode %q: placeholder found %d times", barcode, n)
			}
		}
	})
}

// sameTree compares two compiled filters node by node; a leaf holding the
// placeholder in want must hold barcode in got, inside an equality match.
func sameTree(t *testing.T, want, got *ber.Packet, barcode string, n *int) {
	t.Helper()
	if want.ClassType != got.ClassType || want.TagType != got.TagType || want.Tag != got.Tag ||
		len(want.Children) != len(got.Children) {
		t.Fatalf("barcode %q changes the filter's structure", barcode)
	}
	for i := range want.Children {
		wc, gc := want.Children[i], got.Children[i]
		if len(wc.Children) == 0 && wc.Data.String() == placeholder {
			*n++
			if want.Tag != ldap.FilterEqualityMatch || i != 1 {
				t.Fatalf("placeholder outside an equality value")
			}
			if !bytes.Equal(gc.Data.Bytes(), []byte(barcode)) {
				t.Fatalf("barcode %q reached the directory as %q", barcode, gc.Data.Bytes())
			}
			continue
		}
		if len(wc.Children) == 0 && !bytes.Equal(wc.Data.Bytes(), gc.Data.Bytes()) {
			t.Fatalf("barcode %q changes %q to %q", barcode, wc.Data.Bytes(), gc.Data.Bytes())
		}
		sameTree(t, wc, gc, barcode, n)
	}
}

// FuzzParseExpiry: any attribute value parses or is refused without a
// panic, and a parsed time is in UTC and the same on a second parse.
func FuzzParseExpiry(f *testing.F) {
	for _, s := range []string{"20270131235959Z", "2027-01-31", "20270131", "40000", "-1",
		"133000000000000000", "9223372036854775807", "20270131235959.999999999+1400", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		tm, err := parseExpiry(v)
		if err != nil {
			return
		}
		if tm.Location() != time.UTC {
			t.Fatalf("parseExpiry(%q) = %v, not UTC", v, tm)
		}
		if again, _ := parseExpiry(v); !again.Equal(tm) {
			t.Fatalf("parseExpiry(%q) not deterministic", v)
		}
	})
}
