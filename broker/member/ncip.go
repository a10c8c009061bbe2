package member

import (
	"context"
	"strings"

	"github.com/illgw/illgw/ncip"
)

// NCIPClient calls one member ILS's NCIP responder (NCIP 2.02 Part 2, HTTP
// binding) through the member's NCIP breaker. Requests go out with
// FromAgencyId = Options.Agency, ToAgencyId = the member's agency and the
// member's secret in FromAgencyAuthentication unless the request sets them.
// A *ncip.Problem answer is returned as it is and does not count against
// the breaker; transport and decoding failures come back as *CallError.
type NCIPClient struct {
	g *guard
	c *ncip.Client
}

func newNCIPClient(r *Registry, g *guard, cfg NCIPConfig) *NCIPClient {
	return &NCIPClient{g: g, c: &ncip.Client{
		URL:                    cfg.URL,
		HTTPClient:             r.httpClient,
		FromAgency:             r.agency,
		ToAgency:               cfg.Agency,
		Secret:                 cfg.Secret,
		ApplicationProfileType: cfg.ApplicationProfile,
		Timeout:                g.timeout,
		Quirks: ncip.Quirks{
			UnqualifiedVersion: cfg.UnqualifiedVersion,
			TextXML:            strings.HasPrefix(strings.ToLower(cfg.ContentType), "text/xml"),
		},
	}}
}

// call runs one NCIP service through the breaker; the response is kept
// when it comes with a Problem, as ncip.Client returns it.
func call[Req ncip.Request, Resp any](ctx context.Context, n *NCIPClient, req Req, f func(*ncip.Client, context.Context, Req) (Resp, error)) (Resp, error) {
	var resp Resp
	err := n.g.r.Do(ctx, n.g.member, NCIP, func(ctx context.Context) error {
		var err error
		resp, err = f(n.c, ctx, req)
		return err
	})
	return resp, err
}

// LookupUser sends LookupUser (NCIP 2.02 Part 1 §"Lookup User").
func (n *NCIPClient) LookupUser(ctx context.Context, req *ncip.LookupUser) (*ncip.LookupUserResponse, error) {
	return call(ctx, n, req, (*ncip.Client).LookupUser)
}

// LookupItem sends LookupItem (NCIP 2.02 Part 1 §"Lookup Item").
func (n *NCIPClient) LookupItem(ctx context.Context, req *ncip.LookupItem) (*ncip.LookupItemResponse, error) {
	return call(ctx, n, req, (*ncip.Client).LookupItem)
}

// RequestItem sends RequestItem (NCIP 2.02 Part 1 §"Request Item").
func (n *NCIPClient) RequestItem(ctx context.Context, req *ncip.RequestItem) (*ncip.RequestItemResponse, error) {
	return call(ctx, n, req, (*ncip.Client).RequestItem)
}

// CancelRequestItem sends CancelRequestItem (NCIP 2.02 Part 1 §"Cancel Request Item").
func (n *NCIPClient) CancelRequestItem(ctx context.Context, req *ncip.CancelRequestItem) (*ncip.CancelRequestItemResponse, error) {
	return call(ctx, n, req, (*ncip.Client).CancelRequestItem)
}

// AcceptItem sends AcceptItem (NCIP 2.02 Part 1 §"Accept Item"): the
// borrowing ILS creates a temporary item for an interlibrary loan.
func (n *NCIPClient) AcceptItem(ctx context.Context, req *ncip.AcceptItem) (*ncip.AcceptItemResponse, error) {
	return call(ctx, n, req, (*ncip.Client).AcceptItem)
}

// CheckOutItem sends CheckOutItem (NCIP 2.02 Part 1 §"Check Out Item").
func (n *NCIPClient) CheckOutItem(ctx context.Context, req *ncip.CheckOutItem) (*ncip.CheckOutItemResponse, error) {
	return call(ctx, n, req, (*ncip.Client).CheckOutItem)
}

// CheckInItem sends CheckInItem (NCIP 2.02 Part 1 §"Check In Item").
func (n *NCIPClient) CheckInItem(ctx context.Context, req *ncip.CheckInItem) (*ncip.CheckInItemResponse, error) {
	return call(ctx, n, req, (*ncip.Client).CheckInItem)
}

// RenewItem sends RenewItem (NCIP 2.02 Part 1 §"Renew Item").
func (n *NCIPClient) RenewItem(ctx context.Context, req *ncip.RenewItem) (*ncip.RenewItemResponse, error) {
	return call(ctx, n, req, (*ncip.Client).RenewItem)
}

// RecallItem sends RecallItem (NCIP 2.02 Part 1 §"Recall Item").
func (n *NCIPClient) RecallItem(ctx context.Context, req *ncip.RecallItem) (*ncip.RecallItemResponse, error) {
	return call(ctx, n, req, (*ncip.Client).RecallItem)
}

// DeleteItem sends DeleteItem (NCIP 2.02 Part 1 §"Delete Item"): the
// temporary ILL item is removed when the loan ends.
func (n *NCIPClient) DeleteItem(ctx context.Context, req *ncip.DeleteItem) (*ncip.DeleteItemResponse, error) {
	return call(ctx, n, req, (*ncip.Client).DeleteItem)
}

// ItemShipped sends the ItemShipped notification (NCIP 2.02 Part 1 §"Item Shipped").
func (n *NCIPClient) ItemShipped(ctx context.Context, req *ncip.ItemShipped) (*ncip.ItemShippedResponse, error) {
	return call(ctx, n, req, (*ncip.Client).ItemShipped)
}

// ItemReceived sends the ItemReceived notification (NCIP 2.02 Part 1 §"Item Received").
func (n *NCIPClient) ItemReceived(ctx context.Context, req *ncip.ItemReceived) (*ncip.ItemReceivedResponse, error) {
	return call(ctx, n, req, (*ncip.Client).ItemReceived)
}

// ItemRequestCancelled sends the ItemRequestCancelled notification (NCIP
// 2.02 Part 1 §"Item Request Cancelled").
func (n *NCIPClient) ItemRequestCancelled(ctx context.Context, req *ncip.ItemRequestCancelled) (*ncip.ItemRequestCancelledResponse, error) {
	return call(ctx, n, req, (*ncip.Client).ItemRequestCancelled)
}
