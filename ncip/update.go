package ncip

// Update services (NISO Z39.83-1-2012, "Update" services; ncip_v2_02.xsd).
// Fields follow the schema's sequence order, which the encoder relies on.

// RequestItem places a hold or page (ncip_v2_02.xsd RequestItem).
type RequestItem struct {
	Header                              *InitiationHeader     `xml:"InitiationHeader,omitempty"`
	MandatedAction                      *MandatedAction       `xml:"MandatedAction,omitempty"`
	UserID                              *UserID               `xml:"UserId,omitempty" ncip:"one=user"`
	AuthenticationInputs                []AuthenticationInput `xml:"AuthenticationInput" ncip:"one=user"`
	BibliographicIDs                    []BibliographicID     `xml:"BibliographicId" ncip:"any=what"`
	ItemIDs                             []ItemID              `xml:"ItemId" ncip:"any=what"`
	RequestID                           *RequestID            `xml:"RequestId,omitempty"`
	RequestType                         SchemeValue           `xml:"RequestType" ncip:"req"`
	RequestScopeType                    SchemeValue           `xml:"RequestScopeType" ncip:"req"`
	ItemOptionalFields                  *ItemOptionalFields   `xml:"ItemOptionalFields,omitempty"`
	ShippingInformation                 *ShippingInformation  `xml:"ShippingInformation,omitempty"`
	EarliestDateNeeded                  DateTime              `xml:"EarliestDateNeeded"`
	NeedBeforeDate                      DateTime              `xml:"NeedBeforeDate"`
	PickupLocation                      SchemeValue           `xml:"PickupLocation"`
	PickupExpiryDate                    DateTime              `xml:"PickupExpiryDate"`
	AcknowledgedFeeAmount               *Amount               `xml:"AcknowledgedFeeAmount,omitempty"`
	PaidFeeAmount                       *Amount               `xml:"PaidFeeAmount,omitempty"`
	AcknowledgedItemUseRestrictionTypes []SchemeValue         `xml:"AcknowledgedItemUseRestrictionType"`
	ItemElementTypes                    []SchemeValue         `xml:"ItemElementType"`
	UserElementTypes                    []SchemeValue         `xml:"UserElementType"`
}

// RequestItemResponse answers RequestItem (ncip_v2_02.xsd RequestItemResponse).
type RequestItemResponse struct {
	Header                          *ResponseHeader               `xml:"ResponseHeader,omitempty"`
	Problems                        []Problem                     `xml:"Problem"`
	RequiredFeeAmount               *Amount                       `xml:"RequiredFeeAmount,omitempty" ncip:"problem"`
	RequiredItemUseRestrictionTypes []SchemeValue                 `xml:"RequiredItemUseRestrictionType" ncip:"problem"`
	RequestID                       *RequestID                    `xml:"RequestId,omitempty" ncip:"any=id"`
	ItemID                          *ItemID                       `xml:"ItemId,omitempty" ncip:"any=id"`
	UserID                          *UserID                       `xml:"UserId" ncip:"req"`
	RequestType                     SchemeValue                   `xml:"RequestType" ncip:"req"`
	RequestScopeType                SchemeValue                   `xml:"RequestScopeType" ncip:"req"`
	ShippingInformation             *ShippingInformation          `xml:"ShippingInformation,omitempty"`
	DateAvailable                   DateTime                      `xml:"DateAvailable"`
	HoldPickupDate                  DateTime                      `xml:"HoldPickupDate"`
	FiscalTransactionInformation    *FiscalTransactionInformation `xml:"FiscalTransactionInformation,omitempty"`
	ItemOptionalFields              *ItemOptionalFields           `xml:"ItemOptionalFields,omitempty"`
	UserOptionalFields              *UserOptionalFields           `xml:"UserOptionalFields,omitempty"`
}

// CancelRequestItem cancels a request (ncip_v2_02.xsd CancelRequestItem).
type CancelRequestItem struct {
	Header                *InitiationHeader     `xml:"InitiationHeader,omitempty"`
	MandatedAction        *MandatedAction       `xml:"MandatedAction,omitempty"`
	UserID                *UserID               `xml:"UserId,omitempty" ncip:"one=user"`
	AuthenticationInputs  []AuthenticationInput `xml:"AuthenticationInput" ncip:"one=user"`
	RequestID             *RequestID            `xml:"RequestId,omitempty" ncip:"any=id"`
	ItemID                *ItemID               `xml:"ItemId,omitempty" ncip:"any=id"`
	RequestType           SchemeValue           `xml:"RequestType" ncip:"req"`
	RequestScopeType      SchemeValue           `xml:"RequestScopeType"`
	AcknowledgedFeeAmount *Amount               `xml:"AcknowledgedFeeAmount,omitempty"`
	PaidFeeAmount         *Amount               `xml:"PaidFeeAmount,omitempty"`
	ItemElementTypes      []SchemeValue         `xml:"ItemElementType"`
	UserElementTypes      []SchemeValue         `xml:"UserElementType"`
}

// CancelRequestItemResponse answers CancelRequestItem (ncip_v2_02.xsd CancelRequestItemResponse).
type CancelRequestItemResponse struct {
	Header                       *ResponseHeader               `xml:"ResponseHeader,omitempty"`
	Problems                     []Problem                     `xml:"Problem"`
	RequestID                    *RequestID                    `xml:"RequestId,omitempty" ncip:"any=id"`
	ItemID                       *ItemID                       `xml:"ItemId,omitempty" ncip:"any=id"`
	UserID                       *UserID                       `xml:"UserId" ncip:"req"`
	FiscalTransactionInformation *FiscalTransactionInformation `xml:"FiscalTransactionInformation,omitempty"`
	ItemOptionalFields           *ItemOptionalFields           `xml:"ItemOptionalFields,omitempty"`
	UserOptionalFields           *UserOptionalFields           `xml:"UserOptionalFields,omitempty"`
}

// RenewItem extends a loan (ncip_v2_02.xsd RenewItem).
type RenewItem struct {
	Header                              *InitiationHeader     `xml:"InitiationHeader,omitempty"`
	MandatedAction                      *MandatedAction       `xml:"MandatedAction,omitempty"`
	UserID                              *UserID               `xml:"UserId,omitempty" ncip:"one=user"`
	AuthenticationInputs                []AuthenticationInput `xml:"AuthenticationInput" ncip:"one=user"`
	ItemID                              *ItemID               `xml:"ItemId" ncip:"req"`
	ItemElementTypes                    []SchemeValue         `xml:"ItemElementType"`
	UserElementTypes                    []SchemeValue         `xml:"UserElementType"`
	DesiredDateDue                      DateTime              `xml:"DesiredDateDue"`
	DesiredDateForReturn                DateTime              `xml:"DesiredDateForReturn"`
	AcknowledgedFeeAmount               *Amount               `xml:"AcknowledgedFeeAmount,omitempty"`
	PaidFeeAmount                       *Amount               `xml:"PaidFeeAmount,omitempty"`
	AcknowledgedItemUseRestrictionTypes []SchemeValue         `xml:"AcknowledgedItemUseRestrictionType"`
}

// RenewItemResponse answers RenewItem (ncip_v2_02.xsd RenewItemResponse):
// Problems, Pending, or the renewed loan.
type RenewItemResponse struct {
	Header                          *ResponseHeader               `xml:"ResponseHeader,omitempty"`
	Problems                        []Problem                     `xml:"Problem"`
	RequiredFeeAmount               *Amount                       `xml:"RequiredFeeAmount,omitempty" ncip:"problem"`
	RequiredItemUseRestrictionTypes []SchemeValue                 `xml:"RequiredItemUseRestrictionType" ncip:"problem"`
	Pending                         *Pending                      `xml:"Pending,omitempty" ncip:"one=r"`
	ItemID                          *ItemID                       `xml:"ItemId,omitempty" ncip:"one=r"`
	UserID                          *UserID                       `xml:"UserId,omitempty"`
	DateDue                         DateTime                      `xml:"DateDue"`
	DateForReturn                   DateTime                      `xml:"DateForReturn"`
	RenewalCount                    *int                          `xml:"RenewalCount,omitempty"`
	FiscalTransactionInformation    *FiscalTransactionInformation `xml:"FiscalTransactionInformation,omitempty"`
	ItemOptionalFields              *ItemOptionalFields           `xml:"ItemOptionalFields,omitempty"`
	UserOptionalFields              *UserOptionalFields           `xml:"UserOptionalFields,omitempty"`
}

// Pending says a renewal awaits a decision (ncip_v2_02.xsd Pending).
type Pending struct {
	DateOfExpectedReply DateTime `xml:"DateOfExpectedReply"`
}

// RecallItem asks for an item back early (ncip_v2_02.xsd RecallItem).
type RecallItem struct {
	Header              *InitiationHeader    `xml:"InitiationHeader,omitempty"`
	MandatedAction      *MandatedAction      `xml:"MandatedAction,omitempty"`
	ItemID              *ItemID              `xml:"ItemId" ncip:"req"`
	DesiredDateDue      DateTime             `xml:"DesiredDateDue"`
	ShippingInformation *ShippingInformation `xml:"ShippingInformation,omitempty"`
	ItemElementTypes    []SchemeValue        `xml:"ItemElementType"`
	UserElementTypes    []SchemeValue        `xml:"UserElementType"`
}

// RecallItemResponse answers RecallItem (ncip_v2_02.xsd RecallItemResponse).
type RecallItemResponse struct {
	Header                       *ResponseHeader               `xml:"ResponseHeader,omitempty"`
	Problems                     []Problem                     `xml:"Problem"`
	ItemID                       *ItemID                       `xml:"ItemId" ncip:"req"`
	UserID                       *UserID                       `xml:"UserId,omitempty"`
	DateDue                      DateTime                      `xml:"DateDue"`
	FiscalTransactionInformation *FiscalTransactionInformation `xml:"FiscalTransactionInformation,omitempty"`
	ItemOptionalFields           *ItemOptionalFields           `xml:"ItemOptionalFields,omitempty"`
	UserOptionalFields           *UserOptionalFields           `xml:"UserOptionalFields,omitempty"`
}

// AcceptItem asks the borrowing library's system to create a temporary item
// for an incoming loan (ncip_v2_02.xsd AcceptItem).
type AcceptItem struct {
	Header                       *InitiationHeader             `xml:"InitiationHeader,omitempty"`
	MandatedAction               *MandatedAction               `xml:"MandatedAction,omitempty"`
	RequestID                    *RequestID                    `xml:"RequestId" ncip:"req"`
	RequestedActionType          SchemeValue                   `xml:"RequestedActionType" ncip:"req"`
	UserID                       *UserID                       `xml:"UserId,omitempty"`
	ItemID                       *ItemID                       `xml:"ItemId,omitempty"`
	DateForReturn                DateTime                      `xml:"DateForReturn" ncip:"opt1=d"`
	IndeterminateLoanPeriodFlag  Flag                          `xml:"IndeterminateLoanPeriodFlag" ncip:"opt1=d"`
	NonReturnableFlag            Flag                          `xml:"NonReturnableFlag" ncip:"opt1=d"`
	RenewalNotPermitted          Flag                          `xml:"RenewalNotPermitted"`
	FiscalTransactionInformation *FiscalTransactionInformation `xml:"FiscalTransactionInformation,omitempty"`
	ItemOptionalFields           *ItemOptionalFields           `xml:"ItemOptionalFields,omitempty"`
	UserOptionalFields           *UserOptionalFields           `xml:"UserOptionalFields,omitempty"`
	PickupLocation               SchemeValue                   `xml:"PickupLocation"`
	PickupExpiryDate             DateTime                      `xml:"PickupExpiryDate"`
}

// AcceptItemResponse answers AcceptItem (ncip_v2_02.xsd AcceptItemResponse).
type AcceptItemResponse struct {
	Header    *ResponseHeader `xml:"ResponseHeader,omitempty"`
	Problems  []Problem       `xml:"Problem"`
	RequestID *RequestID      `xml:"RequestId" ncip:"req"`
	ItemID    *ItemID         `xml:"ItemId,omitempty"`
}

// CheckOutItem lends an item to a user (ncip_v2_02.xsd CheckOutItem).
type CheckOutItem struct {
	Header                              *InitiationHeader     `xml:"InitiationHeader,omitempty"`
	MandatedAction                      *MandatedAction       `xml:"MandatedAction,omitempty"`
	UserID                              *UserID               `xml:"UserId,omitempty" ncip:"one=user"`
	AuthenticationInputs                []AuthenticationInput `xml:"AuthenticationInput" ncip:"one=user"`
	ItemID                              *ItemID               `xml:"ItemId" ncip:"req"`
	RequestID                           *RequestID            `xml:"RequestId,omitempty"`
	AcknowledgedFeeAmount               *Amount               `xml:"AcknowledgedFeeAmount,omitempty"`
	PaidFeeAmount                       *Amount               `xml:"PaidFeeAmount,omitempty"`
	AcknowledgedItemUseRestrictionTypes []SchemeValue         `xml:"AcknowledgedItemUseRestrictionType"`
	ShippingInformation                 *ShippingInformation  `xml:"ShippingInformation,omitempty"`
	ResourceDesired                     Flag                  `xml:"ResourceDesired"`
	DesiredDateDue                      DateTime              `xml:"DesiredDateDue"`
	ItemElementTypes                    []SchemeValue         `xml:"ItemElementType"`
	UserElementTypes                    []SchemeValue         `xml:"UserElementType"`
}

// CheckOutItemResponse answers CheckOutItem (ncip_v2_02.xsd CheckOutItemResponse).
type CheckOutItemResponse struct {
	Header                          *ResponseHeader               `xml:"ResponseHeader,omitempty"`
	Problems                        []Problem                     `xml:"Problem"`
	RequiredFeeAmount               *Amount                       `xml:"RequiredFeeAmount,omitempty" ncip:"problem"`
	RequiredItemUseRestrictionTypes []SchemeValue                 `xml:"RequiredItemUseRestrictionType" ncip:"problem"`
	ItemID                          *ItemID                       `xml:"ItemId" ncip:"req"`
	UserID                          *UserID                       `xml:"UserId" ncip:"req"`
	DateDue                         DateTime                      `xml:"DateDue" ncip:"one=d"`
	IndeterminateLoanPeriodFlag     Flag                          `xml:"IndeterminateLoanPeriodFlag" ncip:"one=d"`
	NonReturnableFlag               Flag                          `xml:"NonReturnableFlag" ncip:"one=d"`
	RenewalCount                    *int                          `xml:"RenewalCount,omitempty"`
	ElectronicResource              *ElectronicResource           `xml:"ElectronicResource,omitempty"`
	FiscalTransactionInformation    *FiscalTransactionInformation `xml:"FiscalTransactionInformation,omitempty"`
	ItemOptionalFields              *ItemOptionalFields           `xml:"ItemOptionalFields,omitempty"`
	UserOptionalFields              *UserOptionalFields           `xml:"UserOptionalFields,omitempty"`
}

// CheckInItem returns an item (ncip_v2_02.xsd CheckInItem).
type CheckInItem struct {
	Header           *InitiationHeader `xml:"InitiationHeader,omitempty"`
	MandatedAction   *MandatedAction   `xml:"MandatedAction,omitempty"`
	ItemID           *ItemID           `xml:"ItemId" ncip:"req"`
	ItemElementTypes []SchemeValue     `xml:"ItemElementType"`
	UserElementTypes []SchemeValue     `xml:"UserElementType"`
}

// CheckInItemResponse answers CheckInItem (ncip_v2_02.xsd CheckInItemResponse).
type CheckInItemResponse struct {
	Header                       *ResponseHeader               `xml:"ResponseHeader,omitempty"`
	Problems                     []Problem                     `xml:"Problem"`
	ItemID                       *ItemID                       `xml:"ItemId" ncip:"req"`
	UserID                       *UserID                       `xml:"UserId,omitempty"`
	RoutingInformation           *RoutingInformation           `xml:"RoutingInformation,omitempty"`
	FiscalTransactionInformation *FiscalTransactionInformation `xml:"FiscalTransactionInformation,omitempty"`
	ItemOptionalFields           *ItemOptionalFields           `xml:"ItemOptionalFields,omitempty"`
	UserOptionalFields           *UserOptionalFields           `xml:"UserOptionalFields,omitempty"`
}

// DeleteItem removes an item, typically a temporary ILL item (ncip_v2_02.xsd DeleteItem).
type DeleteItem struct {
	Header         *InitiationHeader `xml:"InitiationHeader,omitempty"`
	MandatedAction *MandatedAction   `xml:"MandatedAction,omitempty"`
	ItemID         *ItemID           `xml:"ItemId" ncip:"req"`
}

// DeleteItemResponse answers DeleteItem (ncip_v2_02.xsd DeleteItemResponse).
type DeleteItemResponse struct {
	Header   *ResponseHeader `xml:"ResponseHeader,omitempty"`
	Problems []Problem       `xml:"Problem"`
	ItemID   *ItemID         `xml:"ItemId" ncip:"req"`
}

// CreateUserFiscalTransaction charges or credits a user (ncip_v2_02.xsd CreateUserFiscalTransaction).
type CreateUserFiscalTransaction struct {
	Header                       *InitiationHeader             `xml:"InitiationHeader,omitempty"`
	MandatedAction               *MandatedAction               `xml:"MandatedAction,omitempty"`
	UserID                       *UserID                       `xml:"UserId,omitempty" ncip:"one=user"`
	AuthenticationInputs         []AuthenticationInput         `xml:"AuthenticationInput" ncip:"one=user"`
	FiscalTransactionInformation *FiscalTransactionInformation `xml:"FiscalTransactionInformation" ncip:"req"`
}

// CreateUserFiscalTransactionResponse answers CreateUserFiscalTransaction
// (ncip_v2_02.xsd CreateUserFiscalTransactionResponse).
type CreateUserFiscalTransactionResponse struct {
	Header                       *ResponseHeader      `xml:"ResponseHeader,omitempty"`
	Problems                     []Problem            `xml:"Problem"`
	UserID                       *UserID              `xml:"UserId" ncip:"req"`
	FiscalTransactionReferenceID *FiscalTransactionID `xml:"FiscalTransactionReferenceId" ncip:"req"`
}
