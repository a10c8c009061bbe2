package ncip

// This file holds one typed Client method per service; see client.go.

import "context"

// LookupUser sends a LookupUser request (NCIP 2.02 LookupUser) and returns the response; see Client.
func (c *Client) LookupUser(ctx context.Context, req *LookupUser) (*LookupUserResponse, error) {
	return do[*LookupUserResponse](ctx, c, req)
}

// LookupItem sends a LookupItem request (NCIP 2.02 LookupItem) and returns the response; see Client.
func (c *Client) LookupItem(ctx context.Context, req *LookupItem) (*LookupItemResponse, error) {
	return do[*LookupItemResponse](ctx, c, req)
}

// LookupRequest sends a LookupRequest request (NCIP 2.02 LookupRequest) and returns the response; see Client.
func (c *Client) LookupRequest(ctx context.Context, req *LookupRequest) (*LookupRequestResponse, error) {
	return do[*LookupRequestResponse](ctx, c, req)
}

// LookupAgency sends a LookupAgency request (NCIP 2.02 LookupAgency) and returns the response; see Client.
func (c *Client) LookupAgency(ctx context.Context, req *LookupAgency) (*LookupAgencyResponse, error) {
	return do[*LookupAgencyResponse](ctx, c, req)
}

// RequestItem sends a RequestItem request (NCIP 2.02 RequestItem) and returns the response; see Client.
func (c *Client) RequestItem(ctx context.Context, req *RequestItem) (*RequestItemResponse, error) {
	return do[*RequestItemResponse](ctx, c, req)
}

// CancelRequestItem sends a CancelRequestItem request (NCIP 2.02 CancelRequestItem) and returns the response; see Client.
func (c *Client) CancelRequestItem(ctx context.Context, req *CancelRequestItem) (*CancelRequestItemResponse, error) {
	return do[*CancelRequestItemResponse](ctx, c, req)
}

// RenewItem sends a RenewItem request (NCIP 2.02 RenewItem) and returns the response; see Client.
func (c *Client) RenewItem(ctx context.Context, req *RenewItem) (*RenewItemResponse, error) {
	return do[*RenewItemResponse](ctx, c, req)
}

// RecallItem sends a RecallItem request (NCIP 2.02 RecallItem) and returns the response; see Client.
func (c *Client) RecallItem(ctx context.Context, req *RecallItem) (*RecallItemResponse, error) {
	return do[*RecallItemResponse](ctx, c, req)
}

// AcceptItem sends a AcceptItem request (NCIP 2.02 AcceptItem) and returns the response; see Client.
func (c *Client) AcceptItem(ctx context.Context, req *AcceptItem) (*AcceptItemResponse, error) {
	return do[*AcceptItemResponse](ctx, c, req)
}

// CheckOutItem sends a CheckOutItem request (NCIP 2.02 CheckOutItem) and returns the response; see Client.
func (c *Client) CheckOutItem(ctx context.Context, req *CheckOutItem) (*CheckOutItemResponse, error) {
	return do[*CheckOutItemResponse](ctx, c, req)
}

// CheckInItem sends a CheckInItem request (NCIP 2.02 CheckInItem) and returns the response; see Client.
func (c *Client) CheckInItem(ctx context.Context, req *CheckInItem) (*CheckInItemResponse, error) {
	return do[*CheckInItemResponse](ctx, c, req)
}

// DeleteItem sends a DeleteItem request (NCIP 2.02 DeleteItem) and returns the response; see Client.
func (c *Client) DeleteItem(ctx context.Context, req *DeleteItem) (*DeleteItemResponse, error) {
	return do[*DeleteItemResponse](ctx, c, req)
}

// CreateUserFiscalTransaction sends a CreateUserFiscalTransaction request (NCIP 2.02 CreateUserFiscalTransaction) and returns the response; see Client.
func (c *Client) CreateUserFiscalTransaction(ctx context.Context, req *CreateUserFiscalTransaction) (*CreateUserFiscalTransactionResponse, error) {
	return do[*CreateUserFiscalTransactionResponse](ctx, c, req)
}

// ItemShipped sends a ItemShipped request (NCIP 2.02 ItemShipped) and returns the response; see Client.
func (c *Client) ItemShipped(ctx context.Context, req *ItemShipped) (*ItemShippedResponse, error) {
	return do[*ItemShippedResponse](ctx, c, req)
}

// ItemReceived sends a ItemReceived request (NCIP 2.02 ItemReceived) and returns the response; see Client.
func (c *Client) ItemReceived(ctx context.Context, req *ItemReceived) (*ItemReceivedResponse, error) {
	return do[*ItemReceivedResponse](ctx, c, req)
}

// ItemCheckedOut sends a ItemCheckedOut request (NCIP 2.02 ItemCheckedOut) and returns the response; see Client.
func (c *Client) ItemCheckedOut(ctx context.Context, req *ItemCheckedOut) (*ItemCheckedOutResponse, error) {
	return do[*ItemCheckedOutResponse](ctx, c, req)
}

// ItemCheckedIn sends a ItemCheckedIn request (NCIP 2.02 ItemCheckedIn) and returns the response; see Client.
func (c *Client) ItemCheckedIn(ctx context.Context, req *ItemCheckedIn) (*ItemCheckedInResponse, error) {
	return do[*ItemCheckedInResponse](ctx, c, req)
}

// ItemRequestCancelled sends a ItemRequestCancelled request (NCIP 2.02 ItemRequestCancelled) and returns the response; see Client.
func (c *Client) ItemRequestCancelled(ctx context.Context, req *ItemRequestCancelled) (*ItemRequestCancelledResponse, error) {
	return do[*ItemRequestCancelledResponse](ctx, c, req)
}

// ItemRenewed sends a ItemRenewed request (NCIP 2.02 ItemRenewed) and returns the response; see Client.
func (c *Client) ItemRenewed(ctx context.Context, req *ItemRenewed) (*ItemRenewedResponse, error) {
	return do[*ItemRenewedResponse](ctx, c, req)
}
