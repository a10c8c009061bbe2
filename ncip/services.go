package ncip

// This file ties each service to its element name. Keep it in step with
// the service types in lookup.go, update.go and notify.go.

// ServiceName returns "LookupUser".
func (*LookupUser) ServiceName() string { return "LookupUser" }

// ServiceName returns "LookupUserResponse".
func (*LookupUserResponse) ServiceName() string { return "LookupUserResponse" }

func (*LookupUser) response() Response { return new(LookupUserResponse) }

// ServiceName returns "LookupItem".
func (*LookupItem) ServiceName() string { return "LookupItem" }

// ServiceName returns "LookupItemResponse".
func (*LookupItemResponse) ServiceName() string { return "LookupItemResponse" }

func (*LookupItem) response() Response { return new(LookupItemResponse) }

// ServiceName returns "LookupRequest".
func (*LookupRequest) ServiceName() string { return "LookupRequest" }

// ServiceName returns "LookupRequestResponse".
func (*LookupRequestResponse) ServiceName() string { return "LookupRequestResponse" }

func (*LookupRequest) response() Response { return new(LookupRequestResponse) }

// ServiceName returns "LookupAgency".
func (*LookupAgency) ServiceName() string { return "LookupAgency" }

// ServiceName returns "LookupAgencyResponse".
func (*LookupAgencyResponse) ServiceName() string { return "LookupAgencyResponse" }

func (*LookupAgency) response() Response { return new(LookupAgencyResponse) }

// ServiceName returns "RequestItem".
func (*RequestItem) ServiceName() string { return "RequestItem" }

// ServiceName returns "RequestItemResponse".
func (*RequestItemResponse) ServiceName() string { return "RequestItemResponse" }

func (*RequestItem) response() Response { return new(RequestItemResponse) }

// ServiceName returns "CancelRequestItem".
func (*CancelRequestItem) ServiceName() string { return "CancelRequestItem" }

// ServiceName returns "CancelRequestItemResponse".
func (*CancelRequestItemResponse) ServiceName() string { return "CancelRequestItemResponse" }

func (*CancelRequestItem) response() Response { return new(CancelRequestItemResponse) }

// ServiceName returns "RenewItem".
func (*RenewItem) ServiceName() string { return "RenewItem" }

// ServiceName returns "RenewItemResponse".
func (*RenewItemResponse) ServiceName() string { return "RenewItemResponse" }

func (*RenewItem) response() Response { return new(RenewItemResponse) }

// ServiceName returns "RecallItem".
func (*RecallItem) ServiceName() string { return "RecallItem" }

// ServiceName returns "RecallItemResponse".
func (*RecallItemResponse) ServiceName() string { return "RecallItemResponse" }

func (*RecallItem) response() Response { return new(RecallItemResponse) }

// ServiceName returns "AcceptItem".
func (*AcceptItem) ServiceName() string { return "AcceptItem" }

// ServiceName returns "AcceptItemResponse".
func (*AcceptItemResponse) ServiceName() string { return "AcceptItemResponse" }

func (*AcceptItem) response() Response { return new(AcceptItemResponse) }

// ServiceName returns "CheckOutItem".
func (*CheckOutItem) ServiceName() string { return "CheckOutItem" }

// ServiceName returns "CheckOutItemResponse".
func (*CheckOutItemResponse) ServiceName() string { return "CheckOutItemResponse" }

func (*CheckOutItem) response() Response { return new(CheckOutItemResponse) }

// ServiceName returns "CheckInItem".
func (*CheckInItem) ServiceName() string { return "CheckInItem" }

// ServiceName returns "CheckInItemResponse".
func (*CheckInItemResponse) ServiceName() string { return "CheckInItemResponse" }

func (*CheckInItem) response() Response { return new(CheckInItemResponse) }

// ServiceName returns "DeleteItem".
func (*DeleteItem) ServiceName() string { return "DeleteItem" }

// ServiceName returns "DeleteItemResponse".
func (*DeleteItemResponse) ServiceName() string { return "DeleteItemResponse" }

func (*DeleteItem) response() Response { return new(DeleteItemResponse) }

// ServiceName returns "CreateUserFiscalTransaction".
func (*CreateUserFiscalTransaction) ServiceName() string { return "CreateUserFiscalTransaction" }

// ServiceName returns "CreateUserFiscalTransactionResponse".
func (*CreateUserFiscalTransactionResponse) ServiceName() string {
	return "CreateUserFiscalTransactionResponse"
}

func (*CreateUserFiscalTransaction) response() Response {
	return new(CreateUserFiscalTransactionResponse)
}

// ServiceName returns "ItemShipped".
func (*ItemShipped) ServiceName() string { return "ItemShipped" }

// ServiceName returns "ItemShippedResponse".
func (*ItemShippedResponse) ServiceName() string { return "ItemShippedResponse" }

func (*ItemShipped) response() Response { return new(ItemShippedResponse) }

// ServiceName returns "ItemReceived".
func (*ItemReceived) ServiceName() string { return "ItemReceived" }

// ServiceName returns "ItemReceivedResponse".
func (*ItemReceivedResponse) ServiceName() string { return "ItemReceivedResponse" }

func (*ItemReceived) response() Response { return new(ItemReceivedResponse) }

// ServiceName returns "ItemCheckedOut".
func (*ItemCheckedOut) ServiceName() string { return "ItemCheckedOut" }

// ServiceName returns "ItemCheckedOutResponse".
func (*ItemCheckedOutResponse) ServiceName() string { return "ItemCheckedOutResponse" }

func (*ItemCheckedOut) response() Response { return new(ItemCheckedOutResponse) }

// ServiceName returns "ItemCheckedIn".
func (*ItemCheckedIn) ServiceName() string { return "ItemCheckedIn" }

// ServiceName returns "ItemCheckedInResponse".
func (*ItemCheckedInResponse) ServiceName() string { return "ItemCheckedInResponse" }

func (*ItemCheckedIn) response() Response { return new(ItemCheckedInResponse) }

// ServiceName returns "ItemRequestCancelled".
func (*ItemRequestCancelled) ServiceName() string { return "ItemRequestCancelled" }

// ServiceName returns "ItemRequestCancelledResponse".
func (*ItemRequestCancelledResponse) ServiceName() string { return "ItemRequestCancelledResponse" }

func (*ItemRequestCancelled) response() Response { return new(ItemRequestCancelledResponse) }

// ServiceName returns "ItemRenewed".
func (*ItemRenewed) ServiceName() string { return "ItemRenewed" }

// ServiceName returns "ItemRenewedResponse".
func (*ItemRenewedResponse) ServiceName() string { return "ItemRenewedResponse" }

func (*ItemRenewed) response() Response { return new(ItemRenewedResponse) }

// newBody returns a new, empty body for an NCIPMessage child element name, or nil.
func newBody(name string) Body {
	switch name {
	case "LookupUser":
		return new(LookupUser)
	case "LookupUserResponse":
		return new(LookupUserResponse)
	case "LookupItem":
		return new(LookupItem)
	case "LookupItemResponse":
		return new(LookupItemResponse)
	case "LookupRequest":
		return new(LookupRequest)
	case "LookupRequestResponse":
		return new(LookupRequestResponse)
	case "LookupAgency":
		return new(LookupAgency)
	case "LookupAgencyResponse":
		return new(LookupAgencyResponse)
	case "RequestItem":
		return new(RequestItem)
	case "RequestItemResponse":
		return new(RequestItemResponse)
	case "CancelRequestItem":
		return new(CancelRequestItem)
	case "CancelRequestItemResponse":
		return new(CancelRequestItemResponse)
	case "RenewItem":
		return new(RenewItem)
	case "RenewItemResponse":
		return new(RenewItemResponse)
	case "RecallItem":
		return new(RecallItem)
	case "RecallItemResponse":
		return new(RecallItemResponse)
	case "AcceptItem":
		return new(AcceptItem)
	case "AcceptItemResponse":
		return new(AcceptItemResponse)
	case "CheckOutItem":
		return new(CheckOutItem)
	case "CheckOutItemResponse":
		return new(CheckOutItemResponse)
	case "CheckInItem":
		return new(CheckInItem)
	case "CheckInItemResponse":
		return new(CheckInItemResponse)
	case "DeleteItem":
		return new(DeleteItem)
	case "DeleteItemResponse":
		return new(DeleteItemResponse)
	case "CreateUserFiscalTransaction":
		return new(CreateUserFiscalTransaction)
	case "CreateUserFiscalTransactionResponse":
		return new(CreateUserFiscalTransactionResponse)
	case "ItemShipped":
		return new(ItemShipped)
	case "ItemShippedResponse":
		return new(ItemShippedResponse)
	case "ItemReceived":
		return new(ItemReceived)
	case "ItemReceivedResponse":
		return new(ItemReceivedResponse)
	case "ItemCheckedOut":
		return new(ItemCheckedOut)
	case "ItemCheckedOutResponse":
		return new(ItemCheckedOutResponse)
	case "ItemCheckedIn":
		return new(ItemCheckedIn)
	case "ItemCheckedInResponse":
		return new(ItemCheckedInResponse)
	case "ItemRequestCancelled":
		return new(ItemRequestCancelled)
	case "ItemRequestCancelledResponse":
		return new(ItemRequestCancelledResponse)
	case "ItemRenewed":
		return new(ItemRenewed)
	case "ItemRenewedResponse":
		return new(ItemRenewedResponse)
	}
	return nil
}
