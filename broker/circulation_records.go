package broker

import (
	"context"

	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
	"github.com/illgw/illgw/sip2"
)

// The SIP2 operations that act on a patron's or an item's record rather
// than on a loan: Block Patron (01), Patron Enable (25) and Item Status
// Update (19). They have no typed call on broker/member's SIP2 client, so
// they go through its Do.

// BlockPatron answers SIP2 §"Block Patron" (01) with the ILS's 24.
func (c *circulation) BlockPatron(ctx context.Context, req *illgwv1.BlockPatronRequest) (*illgwv1.PatronStatusResponse, error) {
	r, err := c.route(req.GetTerminal())
	if err != nil {
		return nil, err
	}
	if err := limits(req.GetPatronId(), req.GetBlockedCardMessage()); err != nil {
		return nil, err
	}
	resp, err := call(ctx, c, r, "BlockPatron", func(ctx context.Context) (*sip2.PatronStatusResponse, error) {
		m, err := r.sip2.Do(ctx, &sip2.BlockPatron{CardRetained: req.GetCardRetained(), TransactionDate: c.when(req.GetTransactionDate()),
			BlockedCardMessage: req.GetBlockedCardMessage(), PatronID: req.GetPatronId()})
		return as[*sip2.PatronStatusResponse](m, err)
	})
	if err != nil {
		return nil, err
	}
	return patronStatusResp(resp), nil
}

// as narrows a response from SIP2Client.Do to the type the request expects.
func as[R sip2.Message](m sip2.Message, err error) (R, error) {
	var zero R
	if err != nil {
		return zero, err
	}
	r, ok := m.(R)
	if !ok {
		return zero, sip2.ErrProtocol
	}
	return r, nil
}

// PatronEnable answers SIP2 §"Patron Enable" (25) with the ILS's 26.
func (c *circulation) PatronEnable(ctx context.Context, req *illgwv1.PatronEnableRequest) (*illgwv1.PatronStatusResponse, error) {
	r, err := c.route(req.GetTerminal())
	if err != nil {
		return nil, err
	}
	if err := limits(req.GetPatronId(), req.GetPin()); err != nil {
		return nil, err
	}
	pin, err := c.patronGate(ctx, r, req.GetPatronId(), req.GetPin(), notBorrowing)
	if err != nil {
		return nil, err
	}
	resp, err := call(ctx, c, r, "PatronEnable", func(ctx context.Context) (*sip2.PatronEnableResponse, error) {
		m, err := r.sip2.Do(ctx, &sip2.PatronEnable{TransactionDate: c.when(req.GetTransactionDate()), PatronID: req.GetPatronId(), PatronPassword: pin})
		return as[*sip2.PatronEnableResponse](m, err)
	})
	if err != nil {
		return nil, err
	}
	return &illgwv1.PatronStatusResponse{
		Patron: patronOf(resp.PatronID, resp.PersonalName, resp.PatronStatus, resp.ValidPatron, resp.ValidPatronPassword, "", ""),
		Reply:  reply(resp.ScreenMessage, resp.PrintLine, fields(resp.Extra))}, nil
}

// ItemStatusUpdate answers SIP2 §"Item Status Update" (19).
func (c *circulation) ItemStatusUpdate(ctx context.Context, req *illgwv1.ItemStatusUpdateRequest) (*illgwv1.ItemStatusUpdateResponse, error) {
	r, err := c.route(req.GetTerminal())
	if err != nil {
		return nil, err
	}
	if err := limits(req.GetItemId(), req.GetItemProperties()); err != nil {
		return nil, err
	}
	resp, err := call(ctx, c, r, "ItemStatusUpdate", func(ctx context.Context) (*sip2.ItemStatusUpdateResponse, error) {
		m, err := r.sip2.Do(ctx, &sip2.ItemStatusUpdate{TransactionDate: c.when(req.GetTransactionDate()), ItemID: req.GetItemId(), ItemProperties: req.GetItemProperties()})
		return as[*sip2.ItemStatusUpdateResponse](m, err)
	})
	if err != nil {
		return nil, err
	}
	return &illgwv1.ItemStatusUpdateResponse{Ok: resp.ItemPropertiesOK, TransactionDate: pts(resp.TransactionDate),
		Item:  &illgwv1.Item{ItemId: resp.ItemID, Title: resp.TitleID, ItemProperties: resp.ItemProperties},
		Reply: reply(resp.ScreenMessage, resp.PrintLine, fields(resp.Extra))}, nil
}
