package adapter

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/illgw/illgw/ncip"
)

// serve calls the adapter method for req directly (not through ncip.Server,
// which would turn a panic into a Temporary Processing Failure).
func serve(ctx context.Context, a *Adapter, req ncip.Request) (ncip.Body, error) {
	switch r := req.(type) {
	case *ncip.LookupUser:
		return a.LookupUser(ctx, r)
	case *ncip.LookupItem:
		return a.LookupItem(ctx, r)
	case *ncip.LookupRequest:
		return a.LookupRequest(ctx, r)
	case *ncip.RequestItem:
		return a.RequestItem(ctx, r)
	case *ncip.CancelRequestItem:
		return a.CancelRequestItem(ctx, r)
	case *ncip.RenewItem:
		return a.RenewItem(ctx, r)
	case *ncip.ItemShipped:
		return a.ItemShipped(ctx, r)
	case *ncip.ItemReceived:
		return a.ItemReceived(ctx, r)
	case *ncip.ItemCheckedIn:
		return a.ItemCheckedIn(ctx, r)
	case *ncip.ItemRequestCancelled:
		return a.ItemRequestCancelled(ctx, r)
	case *ncip.ItemRenewed:
		return a.ItemRenewed(ctx, r)
	}
	return nil, nil
}

// FuzzAdapter sends whatever the ncip decoder accepts to the adapter, as
// PARTNER1 and as a member ILS: every answer is a response the strict
// encoder writes, or a *ncip.Problem, and nothing panics. Seeds are the
// requests of the tests and the ncip package's canonical messages.
func FuzzAdapter(f *testing.F) {
	for _, s := range []string{
		"<LookupUser>" + header("PARTNER1", "NORTH") + authInput("Barcode Id", "N0001") + authInput("PIN", "1234") + "</LookupUser>",
		"<LookupItem>" + header("PARTNER1", "SOUTH") + itemID("SI0001") + "</LookupItem>",
		requestItem("PARTNER1", "NORTH", "N0001", "P1-7"),
		"<LookupRequest>" + header("PARTNER1", "NORTH") + requestID("P1-7") + "</LookupRequest>",
		"<RenewItem>" + header("PARTNER1", "NORTH") + userID("N0001") + itemID("ILLL0000001") + "</RenewItem>",
		"<ItemShipped>" + header("SOUTH", "NORTH") + requestID("L0000001") + "<DateShipped>2027-01-05T10:00:00Z</DateShipped><ShippingInformation/></ItemShipped>",
		"<ItemRenewed>" + header("NORTH", "NORTH") + itemID("ILLL0000001") + "<DateDue>2027-02-01T00:00:00Z</DateDue></ItemRenewed>",
	} {
		f.Add([]byte(`<NCIPMessage xmlns="http://www.niso.org/2008/ncip">` + s + `</NCIPMessage>`))
	}
	files, _ := filepath.Glob("../testdata/canonical/*.request.xml")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	e := newEnv(f)
	ctxs := []context.Context{ncip.WithAgency(context.Background(), "PARTNER1"), ncip.WithAgency(context.Background(), "SOUTH"), context.Background()}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ncip.Decode(data, ncip.Limits{})
		if err != nil {
			return
		}
		req, ok := m.Body.(ncip.Request)
		if !ok {
			return
		}
		for _, ctx := range ctxs {
			resp, err := serve(ctx, e.a, req)
			var p *ncip.Problem
			switch {
			case err != nil && !errors.As(err, &p):
				t.Fatalf("%s: error %T %v is not a Problem", req.ServiceName(), err, err)
			case err != nil:
				if _, err := ncip.Encode(&ncip.Message{Problems: []ncip.Problem{*p}}, ncip.EncodeOptions{}); err != nil {
					t.Fatalf("%s: problem does not encode: %v", req.ServiceName(), err)
				}
			case resp != nil:
				if _, err := ncip.Encode(&ncip.Message{Body: resp}, ncip.EncodeOptions{}); err != nil {
					t.Fatalf("%s: response does not encode: %v", req.ServiceName(), err)
				}
			}
		}
	})
}
