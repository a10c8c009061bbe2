package sip2

import (
	"context"
	"fmt"
)

// call runs Do and returns the response as its concrete type.
func call[R Message](ctx context.Context, c *Client, req Message) (R, error) {
	var zero R
	m, err := c.Do(ctx, req)
	if err != nil {
		return zero, err
	}
	r, ok := m.(R)
	if !ok {
		return zero, fmt.Errorf("%w: %s answered with %T", ErrProtocol, req.Code(), m)
	}
	return r, nil
}

// Status sends an SC Status (99), SIP2 §"SC Status".
func (c *Client) Status(ctx context.Context, req *SCStatus) (*ACSStatus, error) {
	return call[*ACSStatus](ctx, c, req)
}

// PatronStatus sends a Patron Status Request (23).
func (c *Client) PatronStatus(ctx context.Context, req *PatronStatusRequest) (*PatronStatusResponse, error) {
	return call[*PatronStatusResponse](ctx, c, req)
}

// PatronInformation sends a Patron Information (63).
func (c *Client) PatronInformation(ctx context.Context, req *PatronInformation) (*PatronInformationResponse, error) {
	return call[*PatronInformationResponse](ctx, c, req)
}

// Checkout sends a Checkout (11).
func (c *Client) Checkout(ctx context.Context, req *Checkout) (*CheckoutResponse, error) {
	return call[*CheckoutResponse](ctx, c, req)
}

// Checkin sends a Checkin (09).
func (c *Client) Checkin(ctx context.Context, req *Checkin) (*CheckinResponse, error) {
	return call[*CheckinResponse](ctx, c, req)
}

// BlockPatron sends a Block Patron (01); the ACS answers with a 24.
func (c *Client) BlockPatron(ctx context.Context, req *BlockPatron) (*PatronStatusResponse, error) {
	return call[*PatronStatusResponse](ctx, c, req)
}

// EndPatronSession sends an End Patron Session (35).
func (c *Client) EndPatronSession(ctx context.Context, req *EndPatronSession) (*EndSessionResponse, error) {
	return call[*EndSessionResponse](ctx, c, req)
}

// FeePaid sends a Fee Paid (37).
func (c *Client) FeePaid(ctx context.Context, req *FeePaid) (*FeePaidResponse, error) {
	return call[*FeePaidResponse](ctx, c, req)
}

// ItemInformation sends an Item Information (17).
func (c *Client) ItemInformation(ctx context.Context, req *ItemInformation) (*ItemInformationResponse, error) {
	return call[*ItemInformationResponse](ctx, c, req)
}

// ItemStatusUpdate sends an Item Status Update (19).
func (c *Client) ItemStatusUpdate(ctx context.Context, req *ItemStatusUpdate) (*ItemStatusUpdateResponse, error) {
	return call[*ItemStatusUpdateResponse](ctx, c, req)
}

// PatronEnable sends a Patron Enable (25).
func (c *Client) PatronEnable(ctx context.Context, req *PatronEnable) (*PatronEnableResponse, error) {
	return call[*PatronEnableResponse](ctx, c, req)
}

// Hold sends a Hold (15).
func (c *Client) Hold(ctx context.Context, req *Hold) (*HoldResponse, error) {
	return call[*HoldResponse](ctx, c, req)
}

// Renew sends a Renew (29).
func (c *Client) Renew(ctx context.Context, req *Renew) (*RenewResponse, error) {
	return call[*RenewResponse](ctx, c, req)
}

// RenewAll sends a Renew All (65).
func (c *Client) RenewAll(ctx context.Context, req *RenewAll) (*RenewAllResponse, error) {
	return call[*RenewAllResponse](ctx, c, req)
}
