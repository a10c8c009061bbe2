package testenv

import (
	"os"
	"strings"
	"testing"
)

// ldapBindOK is slapd's answer to an anonymous bind: message 1,
// BindResponse, resultCode success, empty matchedDN and message.
var ldapBindOK = []byte{0x30, 0x0c, 0x02, 0x01, 0x01, 0x61, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00}

func TestCheckInitResponse(t *testing.T) {
	for _, f := range []string{"testdata/init-response-ztest.ber", "testdata/init-response-charset.ber"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkInitResponse(b); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	bad := map[string][]byte{
		"empty":                 {},
		"one byte":              {0xb5},
		"init request":          z3950InitRequest,
		"result false":          {0xb5, 0x07, 0x83, 0x02, 0x00, 0xe0, 0x8c, 0x01, 0x00},
		"no result":             {0xb5, 0x04, 0x83, 0x02, 0x00, 0xe0},
		"result cut":            {0xb5, 0x06, 0x83, 0x02, 0x00, 0xe0, 0x8c, 0x01},
		"result too long":       {0xb5, 0x08, 0x8c, 0x02, 0xff, 0xff},
		"length bomb":           {0xb5, 0x84, 0xff, 0xff, 0xff, 0xff, 0x8c, 0x01, 0xff},
		"child length overruns": {0xb5, 0x7f, 0x83, 0x7e, 0x00},
		"http":                  []byte("HTTP/1.1 400 Bad Request\r\n"),
	}
	for name, b := range bad {
		if err := checkInitResponse(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestCheckBindResponse(t *testing.T) {
	if err := checkBindResponse(ldapBindOK); err != nil {
		t.Fatal(err)
	}
	refused := append([]byte(nil), ldapBindOK...)
	refused[9] = 49 // invalidCredentials
	if err := checkBindResponse(refused); err == nil || !strings.Contains(err.Error(), "resultCode 49") {
		t.Fatalf("refused bind: %v", err)
	}
	for name, b := range map[string][]byte{
		"empty":      {},
		"short":      ldapBindOK[:9],
		"long form":  {0x30, 0x84, 0x00, 0x00, 0x00, 0x0c, 0x02, 0x01, 0x01, 0x61, 0x07},
		"not a bind": {0x30, 0x0c, 0x02, 0x01, 0x01, 0x65, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00},
	} {
		if err := checkBindResponse(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzCheckInitResponse feeds arbitrary bytes to the Z39.50 Init probe's
// decoder: it must never panic, and must accept only a [21] PDU.
func FuzzCheckInitResponse(f *testing.F) {
	for _, p := range []string{"testdata/init-response-ztest.ber", "testdata/init-response-charset.ber"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(z3950InitRequest)
	f.Fuzz(func(t *testing.T, b []byte) {
		if checkInitResponse(b) == nil && b[0] != 0xb5 {
			t.Fatalf("accepted a PDU with tag %#x", b[0])
		}
	})
}

// FuzzCheckBindResponse does the same for the LDAP bind probe.
func FuzzCheckBindResponse(f *testing.F) {
	f.Add(ldapBindOK)
	f.Fuzz(func(t *testing.T, b []byte) {
		if checkBindResponse(b) == nil && (b[5] != 0x61 || b[9] != 0) {
			t.Fatalf("accepted % x", b)
		}
	})
}
