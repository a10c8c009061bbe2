package ncip

// Lookup services (NISO Z39.83-1-2012, "Lookup" services; ncip_v2_02.xsd).
// Every request opens with an optional InitiationHeader; every response with
// an optional ResponseHeader and then either Problems or data, never both.

// LookupUser asks for a user's details (ncip_v2_02.xsd LookupUser).
type LookupUser struct {
	Header                   *InitiationHeader     `xml:"InitiationHeader,omitempty"`
	UserID                   *UserID               `xml:"UserId,omitempty" ncip:"one=user"`
	AuthenticationInputs     []AuthenticationInput `xml:"AuthenticationInput" ncip:"one=user"`
	UserElementTypes         []SchemeValue         `xml:"UserElementType"`
	LoanedItemsDesired       Flag                  `xml:"LoanedItemsDesired"`
	RequestedItemsDesired    Flag                  `xml:"RequestedItemsDesired"`
	UserFiscalAccountDesired Flag                  `xml:"UserFiscalAccountDesired"`
}

// LookupUserResponse answers LookupUser (ncip_v2_02.xsd LookupUserResponse).
type LookupUserResponse struct {
	Header               *ResponseHeader       `xml:"ResponseHeader,omitempty"`
	Problems             []Problem             `xml:"Problem"`
	UserID               *UserID               `xml:"UserId" ncip:"req"`
	UserFiscalAccounts   []UserFiscalAccount   `xml:"UserFiscalAccount"`
	LoanedItemsCounts    []LoanedItemsCount    `xml:"LoanedItemsCount"`
	LoanedItems          []LoanedItem          `xml:"LoanedItem"`
	RequestedItemsCounts []RequestedItemsCount `xml:"RequestedItemsCount"`
	RequestedItems       []RequestedItem       `xml:"RequestedItem"`
	UserOptionalFields   *UserOptionalFields   `xml:"UserOptionalFields,omitempty"`
}

// LookupItem asks for an item's details (ncip_v2_02.xsd LookupItem).
type LookupItem struct {
	Header                   *InitiationHeader `xml:"InitiationHeader,omitempty"`
	ItemID                   *ItemID           `xml:"ItemId,omitempty" ncip:"one=id"`
	RequestID                *RequestID        `xml:"RequestId,omitempty" ncip:"one=id"`
	ItemElementTypes         []SchemeValue     `xml:"ItemElementType"`
	CurrentBorrowerDesired   Flag              `xml:"CurrentBorrowerDesired"`
	CurrentRequestersDesired Flag              `xml:"CurrentRequestersDesired"`
}

// LookupItemResponse answers LookupItem (ncip_v2_02.xsd LookupItemResponse).
type LookupItemResponse struct {
	Header             *ResponseHeader     `xml:"ResponseHeader,omitempty"`
	Problems           []Problem           `xml:"Problem"`
	RequestID          *RequestID          `xml:"RequestId,omitempty" ncip:"any=id"`
	ItemID             *ItemID             `xml:"ItemId,omitempty" ncip:"any=id"`
	HoldPickupDate     DateTime            `xml:"HoldPickupDate"`
	DateRecalled       DateTime            `xml:"DateRecalled"`
	ItemTransaction    *ItemTransaction    `xml:"ItemTransaction,omitempty"`
	ItemOptionalFields *ItemOptionalFields `xml:"ItemOptionalFields,omitempty"`
}

// ItemTransaction names an item's current borrower and requesters (ncip_v2_02.xsd ItemTransaction).
type ItemTransaction struct {
	CurrentBorrower   *UserRef  `xml:"CurrentBorrower,omitempty"`
	CurrentRequesters []UserRef `xml:"CurrentRequester"`
}

// UserRef wraps one UserId (ncip_v2_02.xsd CurrentBorrower, CurrentRequester).
type UserRef struct {
	UserID *UserID `xml:"UserId" ncip:"req"`
}

// LookupRequest asks for a request's details (ncip_v2_02.xsd LookupRequest).
type LookupRequest struct {
	Header               *InitiationHeader     `xml:"InitiationHeader,omitempty"`
	UserID               *UserID               `xml:"UserId,omitempty"`
	AuthenticationInputs []AuthenticationInput `xml:"AuthenticationInput"`
	ItemID               *ItemID               `xml:"ItemId,omitempty"`
	RequestType          SchemeValue           `xml:"RequestType"`
	RequestID            *RequestID            `xml:"RequestId,omitempty"`
	RequestElementTypes  []SchemeValue         `xml:"RequestElementType"`
	ItemElementTypes     []SchemeValue         `xml:"ItemElementType"`
	UserElementTypes     []SchemeValue         `xml:"UserElementType"`
}

// LookupRequestResponse answers LookupRequest (ncip_v2_02.xsd LookupRequestResponse).
type LookupRequestResponse struct {
	Header                *ResponseHeader      `xml:"ResponseHeader,omitempty"`
	Problems              []Problem            `xml:"Problem"`
	RequestID             *RequestID           `xml:"RequestId,omitempty" ncip:"any=id"`
	ItemID                *ItemID              `xml:"ItemId,omitempty" ncip:"any=id"`
	UserID                *UserID              `xml:"UserId,omitempty"`
	RequestType           SchemeValue          `xml:"RequestType"`
	RequestScopeType      SchemeValue          `xml:"RequestScopeType"`
	RequestStatusType     SchemeValue          `xml:"RequestStatusType"`
	HoldQueuePosition     *int                 `xml:"HoldQueuePosition,omitempty"`
	ShippingInfo          *ShippingInformation `xml:"ShippingInformation,omitempty"`
	EarliestDateNeeded    DateTime             `xml:"EarliestDateNeeded"`
	NeedBeforeDate        DateTime             `xml:"NeedBeforeDate"`
	PickupDate            DateTime             `xml:"PickupDate"`
	PickupLocation        SchemeValue          `xml:"PickupLocation"`
	PickupExpiryDate      DateTime             `xml:"PickupExpiryDate"`
	DateOfUserRequest     DateTime             `xml:"DateOfUserRequest"`
	DateAvailable         DateTime             `xml:"DateAvailable"`
	AcknowledgedFeeAmount *Amount              `xml:"AcknowledgedFeeAmount,omitempty"`
	PaidFeeAmount         *Amount              `xml:"PaidFeeAmount,omitempty"`
	ItemOptionalFields    *ItemOptionalFields  `xml:"ItemOptionalFields,omitempty"`
	UserOptionalFields    *UserOptionalFields  `xml:"UserOptionalFields,omitempty"`
}

// LookupAgency asks for an agency's details (ncip_v2_02.xsd LookupAgency).
type LookupAgency struct {
	Header             *InitiationHeader `xml:"InitiationHeader,omitempty"`
	AgencyID           SchemeValue       `xml:"AgencyId" ncip:"req"`
	AgencyElementTypes []SchemeValue     `xml:"AgencyElementType" ncip:"min=1"`
}

// LookupAgencyResponse answers LookupAgency (ncip_v2_02.xsd LookupAgencyResponse).
type LookupAgencyResponse struct {
	Header                          *ResponseHeader               `xml:"ResponseHeader,omitempty"`
	Problems                        []Problem                     `xml:"Problem"`
	AgencyID                        SchemeValue                   `xml:"AgencyId" ncip:"req"`
	OrganizationNameInformation     []OrganizationNameInformation `xml:"OrganizationNameInformation"`
	AgencyAddressInformation        []AgencyAddressInformation    `xml:"AgencyAddressInformation"`
	AuthenticationPrompts           []AuthenticationPrompt        `xml:"AuthenticationPrompt"`
	ApplicationProfileSupportedType []SchemeValue                 `xml:"ApplicationProfileSupportedType"`
	ConsortiumAgreements            []SchemeValue                 `xml:"ConsortiumAgreement"`
	AgencyUserPrivilegeTypes        []SchemeValue                 `xml:"AgencyUserPrivilegeType"`
}
