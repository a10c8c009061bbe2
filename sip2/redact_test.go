package sip2

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"9300CNterm1|COsecret|CPMAIN|AY0AZF511":             "9300CNterm1|CO***|CPMAIN|AY0AZF511",
		"2300120261127    031716ACsecret|AD9999|AOMAIN|":    "2300120261127    031716AC***|AD***|AOMAIN|",
		"1700120261127    031355ACsecret|AB0001|":           "1700120261127    031355AC***|AB0001|",
		"1700120261127    031355AOMAIN|AB0001|ACsecret|":    "1700120261127    031355AOMAIN|AB0001|AC***|",
		"2300120261127    031716AOMAIN|AA1|AD9999AY1AZ0000": "2300120261127    031716AOMAIN|AA1|AD***",
		"2320261127    031716ACsecret|AD9999|":              "2320261127    031716AC***|AD***|",
		"3720261127    0317160400CADBV1.00|AOX|ADsecret":    "3720261127    0317160400CAD***|AOX|AD***",
		"23ACsecret|": "<11 bytes, unparsed>",
		"XXsecret":    "<8 bytes, unparsed>",
		"2":           "2",
	} {
		got := redact([]byte(in))
		if got != want {
			t.Errorf("redact(%q)\n got %q\nwant %q", in, got, want)
		}
		for _, secret := range []string{"secret", "9999"} {
			if strings.Contains(got, secret) {
				t.Errorf("redact(%q) leaks %q", in, secret)
			}
		}
	}
}
