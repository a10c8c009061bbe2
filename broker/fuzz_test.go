package broker

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/illgw/illgw/broker/state"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

// FuzzParsePageToken: a page token from a client never panics the broker,
// is refused with INVALID_ARGUMENT unless it is one List could have made,
// and a token List makes parses back to the same position.
func FuzzParsePageToken(f *testing.F) {
	for _, s := range []string{"", "0/", "3/ABCD2345", "15/Z", "16/x", "-1/x", "1", "/", "0//", "1/" + strings.Repeat("A", 200)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		p, after, err := parsePageToken(tok, 16)
		if err != nil {
			if status.Code(err) != codes.InvalidArgument {
				t.Fatalf("%q: %v", tok, err)
			}
			return
		}
		if p < 0 || p >= 16 || len(after) > maxIDLen {
			t.Fatalf("%q parsed to partition %d after %d bytes", tok, p, len(after))
		}
		if tok == "" {
			return
		}
		p2, after2, err := parsePageToken(pageToken(p, after), 16)
		if err != nil || p2 != p || after2 != after {
			t.Fatalf("%q does not round-trip: %d %q %v", tok, p2, after2, err)
		}
	})
}

// FuzzDecodeLoan: whatever bytes the store holds, reading them gives a loan
// or DATA_LOSS, never a panic.
func FuzzDecodeLoan(f *testing.F) {
	good, _ := marshal.Marshal(&illgwv1.Loan{Id: "ABCD2345", State: illgwv1.LoanState_LOAN_STATE_NEW, Requester: "NORTH", Bib: &illgwv1.Bib{Title: "t", Record: []byte("00026nam a2200025 a 4500\x1e\x1d")}})
	f.Add(good)
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, data []byte) {
		loan, err := decodeLoan(state.Loan{ID: "ABCD2345", Version: 3, Data: data})
		if err != nil {
			if status.Code(err) != codes.DataLoss {
				t.Fatalf("%v", err)
			}
			return
		}
		if loan.Id != "ABCD2345" || loan.Version != 3 {
			t.Fatalf("store metadata not applied: %v", loan)
		}
	})
}
