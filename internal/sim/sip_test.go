package sim

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

// rawSIP is a terminal that writes raw SIP2 bytes and reads one response
// line at a time.
type rawSIP struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dialSIP(t *testing.T, addr string) *rawSIP {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawSIP{t: t, c: c, br: bufio.NewReader(c)}
}

// do sends one message (CR added) and returns the response without its
// terminator.
func (s *rawSIP) do(msg string) string {
	s.t.Helper()
	s.c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := s.c.Write([]byte(msg + "\r")); err != nil {
		s.t.Fatal(err)
	}
	line, err := s.br.ReadString('\r')
	if err != nil {
		s.t.Fatalf("reading the answer to %.2s: %v", msg, err)
	}
	return strings.TrimSuffix(line, "\r")
}

// field returns the value of a variable field of a response.
func field(resp, id string) (string, bool) {
	for _, f := range strings.Split(resp, "|") {
		if i := strings.Index(f, id); i >= 0 && (i == 0 || !strings.Contains(f[:i], "|")) {
			if i == 0 {
				return f[len(id):], true
			}
		}
	}
	return "", false
}

const sipDate = "20260101    120000"

// TestSIP2Transcript: each member's ACS answers a raw-byte login, patron
// information, checkout and checkin with the fixture values.
func TestSIP2Transcript(t *testing.T) {
	c := start(t, Options{})
	for _, m := range c.Members {
		t.Run(m.Code, func(t *testing.T) {
			p := Prefix(m.Code)
			s := dialSIP(t, m.SIP2Addr)
			if got := s.do("9300CNgw|COgwpass|CP" + m.Code + "|"); got != "941" {
				t.Fatalf("login answered %q, want 941", got)
			}
			// 63 for the patron in good standing, with PIN, charged items
			// summary.
			r := s.do("63001" + sipDate + "  Y       AO" + m.Code + "|AA" + p + "0001|AD1234|")
			if !strings.HasPrefix(r, "64"+strings.Repeat(" ", 14)+"001") {
				t.Errorf("64 fixed part %q: want a clear patron status", r)
			}
			if counts := r[37:61]; counts != strings.Repeat("0", 24) {
				t.Errorf("64 counts %q, want all 0000 at start", counts)
			}
			for id, want := range map[string]string{"AO": m.Code, "AA": p + "0001", "BL": "Y", "CQ": "Y"} {
				if v, ok := field(r[61:], id); !ok || v != want {
					t.Errorf("64 %s = %q, want %q (%s)", id, v, want, r)
				}
			}
			// The blocked patron: charge privileges denied.
			r = s.do("63001" + sipDate + "          AO" + m.Code + "|AA" + p + "0002|AD1234|")
			if !strings.HasPrefix(r, "64Y") {
				t.Errorf("blocked patron's 64 = %q, want patron status starting Y", r)
			}
			item := ItemID(m.Code, 1)
			r = s.do("11YN" + sipDate + sipDate + "AO" + m.Code + "|AA" + p + "0001|AB" + item + "|AC|AD1234|")
			if !strings.HasPrefix(r, "121") {
				t.Fatalf("checkout answered %q, want ok 1", r)
			}
			if v, _ := field(r[24:], "AB"); v != item {
				t.Errorf("checkout AB = %q (%s)", v, r)
			}
			if v, _ := field(r[24:], "AH"); strings.TrimSpace(v) == "" {
				t.Errorf("checkout without a due date: %s", r)
			}
			if it, _ := m.Item(item); it.ChargedTo != p+"0001" {
				t.Errorf("item after checkout: %+v", it)
			}
			// Item information says charged (04); the 64 counts one charged item.
			r = s.do("17" + sipDate + "AO" + m.Code + "|AB" + item + "|")
			if !strings.HasPrefix(r, "1804") {
				t.Errorf("item information after checkout %q, want status 04", r)
			}
			r = s.do("63001" + sipDate + "  Y       AO" + m.Code + "|AA" + p + "0001|AD1234|")
			if counts := r[37:61]; counts != "000000000001000000000000" {
				t.Errorf("64 counts after a checkout %q", counts)
			}
			if v, _ := field(r[61:], "AU"); v != item {
				t.Errorf("64 charged items AU = %q (%s)", v, r)
			}
			// The blocked patron cannot borrow.
			r = s.do("11YN" + sipDate + sipDate + "AO" + m.Code + "|AA" + p + "0002|AB" + ItemID(m.Code, 2) + "|AC|AD1234|")
			if !strings.HasPrefix(r, "120") {
				t.Errorf("checkout for a blocked patron %q, want ok 0", r)
			}
			r = s.do("09N" + sipDate + sipDate + "AP" + m.Code + "|AO" + m.Code + "|AB" + item + "|AC|")
			if !strings.HasPrefix(r, "101") {
				t.Fatalf("checkin answered %q, want ok 1", r)
			}
			r = s.do("17" + sipDate + "AO" + m.Code + "|AB" + item + "|")
			if !strings.HasPrefix(r, "1803") {
				t.Errorf("item information after checkin %q, want status 03", r)
			}
			for n := 2; n <= ItemsPerMember; n++ {
				if r := s.do("17" + sipDate + "AO" + m.Code + "|AB" + ItemID(m.Code, n) + "|"); !strings.HasPrefix(r, "1803") {
					t.Errorf("item %s: %q, want available (03)", ItemID(m.Code, n), r)
				}
			}
			if r := s.do("17" + sipDate + "AO" + m.Code + "|AB" + ItemID(m.Code, ItemsPerMember+1) + "|"); strings.HasPrefix(r, "1803") {
				t.Errorf("item %s exists: %q", ItemID(m.Code, ItemsPerMember+1), r)
			}
		})
	}
}

// TestSIP2WrongPasswordAndStatusBeforeLogin: a wrong terminal password is
// refused; an SC status before login is answered.
func TestSIP2WrongPasswordAndStatusBeforeLogin(t *testing.T) {
	c := start(t, Options{Members: []string{"NORTH"}, SIP2Password: "secret2", Names: map[string]string{"NORTH": "North City Library"}})
	s := dialSIP(t, c.Members[0].SIP2Addr)
	if r := s.do("9900302.00"); !strings.HasPrefix(r, "98Y") || !strings.Contains(r, "|AMNorth City Library|") || !strings.Contains(r, "AONORTH|") {
		t.Errorf("99 before login: %q", r)
	}
	if r := s.do("9300CNgw|COgwpass|CPNORTH|"); r != "940" {
		t.Errorf("login with the default password when another is set: %q", r)
	}
	if r := s.do("9300CNgw|COsecret2|CPNORTH|"); r != "941" {
		t.Errorf("login: %q", r)
	}
}

// TestSIP2Fine: the fined patron's 64 counts one fine item and the amount;
// paying it clears both.
func TestSIP2Fine(t *testing.T) {
	c := start(t, Options{Members: []string{"SOUTH"}})
	s := dialSIP(t, c.Members[0].SIP2Addr)
	s.do("9300CNgw|COgwpass|CPSOUTH|")
	r := s.do("63001" + sipDate + "   Y      AOSOUTH|AAS0003|AD1234|")
	if counts := r[37:61]; counts != "000000000000000100000000" {
		t.Errorf("64 counts %q, want one fine item (%s)", counts, r)
	}
	if v, _ := field(r[61:], "BV"); v != "2.50" {
		t.Errorf("fee amount %q (%s)", v, r)
	}
	if !strings.HasPrefix(r, "64"+strings.Repeat(" ", 14)) {
		t.Errorf("the fined patron is blocked: %q", r)
	}
	if r := s.do("37" + sipDate + "0400USDBV2.50|AOSOUTH|AAS0003|AD1234|"); !strings.HasPrefix(r, "38Y") {
		t.Fatalf("fee paid: %q", r)
	}
	r = s.do("63001" + sipDate + "          AOSOUTH|AAS0003|AD1234|")
	if counts := r[37:61]; counts != strings.Repeat("0", 24) {
		t.Errorf("64 counts after paying %q", counts)
	}
}
