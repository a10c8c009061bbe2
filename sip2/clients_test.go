package sip2_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/illgw/illgw/sip2"
	"github.com/illgw/illgw/sip2/memory"
)

// knownClientsFixture holds the data the observed client sessions of
// reference/sip2.md §4.2-4.4 used: login term1/secret at MAIN, patron
// 12345 with PIN 9999, item 0001.
func knownClientsFixture() *memory.Backend {
	b := fixture()
	b.AddAccount(memory.Account{Login: "term1", PasswordHash: memory.HashPassword("secret", 4), Institution: "MAIN"})
	b.AddPatron(memory.Patron{ID: "12345", PIN: "9999", Name: "Test Patron"})
	b.AddItem(memory.Item{ID: "0001", Title: "Observed Item", Location: "MAIN"})
	return b
}

// TestKnownClients replays, byte for byte, what three real SIP2 clients
// sent (reference/sip2.md §4.2-4.4) and checks each answer as that client
// would read it.
func TestKnownClients(t *testing.T) {
	type step struct{ send, wantPrefix, wantContains string }
	evergreen98 := regexp.MustCompile(`^98[YN]{6}\d{3}\d{3}\d{8}    \d{6}(2\.00|1\.00)AO[^|]*\|(AM[^|]*\|)?BX[YN]{16}\|`)
	for _, tc := range []struct {
		name  string
		crlf  bool
		steps []step
	}{
		{"Koha sip_cli_emulator (CRLF, no error detection)", true, []step{
			{"9300CNterm1|COsecret|CPMAIN|", "941", ""},
			{"9900302.00", "98Y", "AOMAIN|"},
			{"2300120261127    031716AOMAIN|AA12345|ACsecret|AD|", "24              001", "AETest Patron|BLY|"},
			{"6300120261127    031355          AOMAIN|AA12345|ACsecret|AD9999|", "64              001", "AETest Patron|BLY|CQY|"},
			{"11YN20261127    03135520261127    031355AOMAIN|AA12345|AB0001|ACsecret|AD9999|BIN|", "121NNY", "AB0001|AJObserved Item|AH"},
			{"09N20261127    03135520261127    031355APMAIN|AOMAIN|AB0001|ACsecret|BIN|", "101YNN", "AB0001|AQMAIN|"},
			{"1700120261127    031355AOMAIN|AB0001|ACsecret|", "180302", "AB0001|AJObserved Item|"},
			{"29NN20261127    03135520261127    031355AOMAIN|AA12345|AD9999|AB0001|AJ|ACsecret|", "300NUN", "AB0001|"},
		}},
		{"tzeumer Python client (error detection)", false, []step{
			{"9300CNterm1|COsecret|CPMAIN|AY0AZF511", "941AY0AZ", ""},
			{"9900802.00AY1AZFCA0", "98Y", "BXYYYYYYYYYYYYYYYY|AY1AZ"},
			{"6300020261127    031759          AOMAIN|AA12345|AD9999|BP1|BQ5|AY2AZF07C", "64              000", "CQY|"},
			{"11NN20261127    031902                  AOMAIN|AA12345|AB0001|AC|AD9999|BON|BIN|AY2AZEC94", "121NNY", "AY2AZ"},
			{"1720261127    031902AOMAIN|AB0001|AY4AZF6FA", "180402", "AY4AZ"},
		}},
		{"Evergreen SIPServer t/ suite (error detection)", false, []step{
			{"9300CNinvalidsip_01|COsip_01|CPThe floor|AY1AZF042", "940AY1AZ", ""},
			{ck("9300CNterm1|COsecret|CPMAIN|", 3), "941AY3AZ", ""},
			{"9910302.00AY4AZFCA1", "98", "AY4AZ"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, addr := startServer(t, knownClientsFixture(), func(s *sip2.Server) { s.MatchTerminator = true })
			k := dialKiosk(t, addr)
			term := "\r"
			if tc.crlf {
				term, k.term = "\r\n", '\n'
			}
			for _, st := range tc.steps {
				send := st.send
				k.send(send + term)
				got := k.recv()
				if !strings.HasSuffix(got, term) {
					t.Errorf("%.2s: answer ends %q, want %q", send, got[max(0, len(got)-2):], term)
				}
				got = strings.TrimRight(got, "\r\n")
				if !strings.HasPrefix(got, st.wantPrefix) || !strings.Contains(got, st.wantContains) {
					t.Errorf("%.2s: got %q, want prefix %q containing %q", send, got, st.wantPrefix, st.wantContains)
				}
				if strings.Contains(send, "AY") {
					verify(t, got, int(send[len(send)-7]-'0'))
				}
				if got[:2] == "98" && !evergreen98.MatchString(got) {
					t.Errorf("98 fails the Evergreen suite's checks: %q", got)
				}
			}
		})
	}
}
