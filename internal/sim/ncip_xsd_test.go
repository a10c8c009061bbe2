package sim

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/illgw/illgw/internal/testenv"
	"github.com/illgw/illgw/ncip"
)

// recorder keeps every response body an http.Client receives.
type recorder struct {
	mu     sync.Mutex
	bodies [][]byte
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.bodies = append(r.bodies, b)
	r.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

// TestNCIPResponsesValidate: what the responder writes for each service,
// answers and problems alike, validates against the official NCIP 2.02
// schema with xmllint.
func TestNCIPResponsesValidate(t *testing.T) {
	xmllint := testenv.Require(t, "xmllint", "libxml2-utils")
	c := start(t, Options{Members: []string{"NORTH", "SOUTH"}})
	ctx := ctxT(t)
	rec := &recorder{}
	cl := ncipClient(c.Member("NORTH"))
	cl.HTTPClient = &http.Client{Transport: rec}
	user := &ncip.UserID{AgencyID: ncip.SV("NORTH"), Value: "N0001"}
	item := &ncip.ItemID{AgencyID: ncip.SV("NORTH"), Value: "NI0002"}
	calls := []func() error{
		func() error {
			_, err := cl.LookupUser(ctx, &ncip.LookupUser{UserID: user, LoanedItemsDesired: true})
			return err
		},
		func() error {
			_, err := cl.LookupUser(ctx, &ncip.LookupUser{AuthenticationInputs: authInputs("N0002", "1234")})
			return err
		},
		func() error {
			_, err := cl.RequestItem(ctx, &ncip.RequestItem{UserID: user, ItemIDs: []ncip.ItemID{*item}, RequestType: ncip.SV("Hold"), RequestScopeType: ncip.SV("Item")})
			return err
		},
		func() error {
			_, err := cl.CheckOutItem(ctx, &ncip.CheckOutItem{UserID: user, ItemID: item})
			return err
		},
		func() error {
			_, err := cl.LookupItem(ctx, &ncip.LookupItem{ItemID: item})
			return err
		},
		func() error {
			_, err := cl.RenewItem(ctx, &ncip.RenewItem{UserID: user, ItemID: item})
			return err
		},
		func() error {
			_, err := cl.CheckInItem(ctx, &ncip.CheckInItem{ItemID: item})
			return err
		},
		func() error {
			_, err := cl.AcceptItem(ctx, &ncip.AcceptItem{RequestID: &ncip.RequestID{Value: "X1"}, RequestedActionType: ncip.SV("Hold For Pickup"), UserID: user})
			return err
		},
		func() error {
			_, err := cl.DeleteItem(ctx, &ncip.DeleteItem{ItemID: &ncip.ItemID{Value: "ILLX1"}})
			return err
		},
	}
	for i, call := range calls {
		if err := call(); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	// Problems: unknown user, item not checked out, blocked user.
	cl.LookupUser(ctx, &ncip.LookupUser{UserID: &ncip.UserID{Value: "nobody"}})
	cl.CheckInItem(ctx, &ncip.CheckInItem{ItemID: item})
	cl.CheckOutItem(ctx, &ncip.CheckOutItem{UserID: &ncip.UserID{Value: "N0002"}, ItemID: item})
	if len(rec.bodies) != len(calls)+3 {
		t.Fatalf("%d responses recorded", len(rec.bodies))
	}
	dir := t.TempDir()
	var files []string
	for i, b := range rec.bodies {
		p := filepath.Join(dir, fmt.Sprintf("resp%02d.xml", i))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	schema, err := filepath.Abs("testdata/ncip_v2_02.xsd")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(xmllint, append([]string{"--noout", "--nonet", "--schema", schema}, files...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("xmllint: %v\n%s", err, out)
	}
	for _, f := range files {
		if !bytes.Contains(out, []byte(f+" validates")) {
			t.Errorf("%s does not validate:\n%s", f, out)
		}
	}
}
