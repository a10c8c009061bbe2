package ncip

// Notification services (NISO Z39.83-1-2012, "Notification" services;
// ncip_v2_02.xsd): the initiator reports that something happened, and the
// response carries at most Problems.

// ItemShipped reports that an item was shipped (ncip_v2_02.xsd ItemShipped).
type ItemShipped struct {
	Header              *InitiationHeader    `xml:"InitiationHeader,omitempty"`
	RequestID           *RequestID           `xml:"RequestId,omitempty" ncip:"any=id"`
	ItemID              *ItemID              `xml:"ItemId,omitempty" ncip:"any=id"`
	UserID              *UserID              `xml:"UserId,omitempty"`
	DateShipped         DateTime             `xml:"DateShipped" ncip:"req"`
	ShippingInformation *ShippingInformation `xml:"ShippingInformation" ncip:"req"`
	ItemOptionalFields  *ItemOptionalFields  `xml:"ItemOptionalFields,omitempty"`
	UserOptionalFields  *UserOptionalFields  `xml:"UserOptionalFields,omitempty"`
}

// ItemReceived reports that an item arrived (ncip_v2_02.xsd ItemReceived).
type ItemReceived struct {
	Header             *InitiationHeader   `xml:"InitiationHeader,omitempty"`
	ItemID             *ItemID             `xml:"ItemId" ncip:"req"`
	UserID             *UserID             `xml:"UserId,omitempty"`
	RequestID          *RequestID          `xml:"RequestId,omitempty"`
	DateReceived       DateTime            `xml:"DateReceived" ncip:"req"`
	ItemOptionalFields *ItemOptionalFields `xml:"ItemOptionalFields,omitempty"`
	UserOptionalFields *UserOptionalFields `xml:"UserOptionalFields,omitempty"`
}

// ItemCheckedOut reports a checkout (ncip_v2_02.xsd ItemCheckedOut).
type ItemCheckedOut struct {
	Header                         *InitiationHeader             `xml:"InitiationHeader,omitempty"`
	UserID                         *UserID                       `xml:"UserId" ncip:"req"`
	ItemID                         *ItemID                       `xml:"ItemId" ncip:"req"`
	RequestID                      *RequestID                    `xml:"RequestId,omitempty"`
	DateDue                        DateTime                      `xml:"DateDue" ncip:"one=d"`
	IndeterminateLoanPeriodFlag    Flag                          `xml:"IndeterminateLoanPeriodFlag" ncip:"one=d"`
	NonReturnableFlag              Flag                          `xml:"NonReturnableFlag" ncip:"one=d"`
	ElectronicResourceProvidedFlag Flag                          `xml:"ElectronicResourceProvidedFlag"`
	RenewalCount                   *int                          `xml:"RenewalCount,omitempty"`
	FiscalTransactionInformation   *FiscalTransactionInformation `xml:"FiscalTransactionInformation,omitempty"`
	ShippingInformation            *ShippingInformation          `xml:"ShippingInformation,omitempty"`
	ItemOptionalFields             *ItemOptionalFields           `xml:"ItemOptionalFields,omitempty"`
	UserOptionalFields             *UserOptionalFields           `xml:"UserOptionalFields,omitempty"`
}

// ItemCheckedIn reports a check-in (ncip_v2_02.xsd ItemCheckedIn).
type ItemCheckedIn struct {
	Header                       *InitiationHeader             `xml:"InitiationHeader,omitempty"`
	UserID                       *UserID                       `xml:"UserId,omitempty"`
	ItemID                       *ItemID                       `xml:"ItemId" ncip:"req"`
	RoutingInformation           *RoutingInformation           `xml:"RoutingInformation,omitempty"`
	FiscalTransactionInformation *FiscalTransactionInformation `xml:"FiscalTransactionInformation,omitempty"`
	ItemOptionalFields           *ItemOptionalFields           `xml:"ItemOptionalFields,omitempty"`
	UserOptionalFields           *UserOptionalFields           `xml:"UserOptionalFields,omitempty"`
}

// ItemRequestCancelled reports a cancelled request (ncip_v2_02.xsd ItemRequestCancelled).
type ItemRequestCancelled struct {
	Header                       *InitiationHeader             `xml:"InitiationHeader,omitempty"`
	UserID                       *UserID                       `xml:"UserId" ncip:"req"`
	RequestID                    *RequestID                    `xml:"RequestId,omitempty" ncip:"any=id"`
	ItemID                       *ItemID                       `xml:"ItemId,omitempty" ncip:"any=id"`
	RequestType                  SchemeValue                   `xml:"RequestType" ncip:"req"`
	RequestScopeType             SchemeValue                   `xml:"RequestScopeType"`
	FiscalTransactionInformation *FiscalTransactionInformation `xml:"FiscalTransactionInformation,omitempty"`
	ItemOptionalFields           *ItemOptionalFields           `xml:"ItemOptionalFields,omitempty"`
	UserOptionalFields           *UserOptionalFields           `xml:"UserOptionalFields,omitempty"`
}

// ItemRenewed reports a renewal (ncip_v2_02.xsd ItemRenewed).
type ItemRenewed struct {
	Header                       *InitiationHeader             `xml:"InitiationHeader,omitempty"`
	UserID                       *UserID                       `xml:"UserId,omitempty"`
	ItemID                       *ItemID                       `xml:"ItemId" ncip:"req"`
	DateDue                      DateTime                      `xml:"DateDue" ncip:"req"`
	RenewalCount                 *int                          `xml:"RenewalCount,omitempty"`
	FiscalTransactionInformation *FiscalTransactionInformation `xml:"FiscalTransactionInformation,omitempty"`
	ItemOptionalFields           *ItemOptionalFields           `xml:"ItemOptionalFields,omitempty"`
	UserOptionalFields           *UserOptionalFields           `xml:"UserOptionalFields,omitempty"`
}

// NotificationResponse is the shape shared by every notification response
// (ncip_v2_02.xsd ItemShippedResponse and the like): an optional header and
// any Problems.
type NotificationResponse struct {
	Header   *ResponseHeader `xml:"ResponseHeader,omitempty"`
	Problems []Problem       `xml:"Problem"`
}

// ItemShippedResponse answers ItemShipped.
type ItemShippedResponse NotificationResponse

// ItemReceivedResponse answers ItemReceived.
type ItemReceivedResponse NotificationResponse

// ItemCheckedOutResponse answers ItemCheckedOut.
type ItemCheckedOutResponse NotificationResponse

// ItemCheckedInResponse answers ItemCheckedIn.
type ItemCheckedInResponse NotificationResponse

// ItemRequestCancelledResponse answers ItemRequestCancelled.
type ItemRequestCancelledResponse NotificationResponse

// ItemRenewedResponse answers ItemRenewed.
type ItemRenewedResponse NotificationResponse
