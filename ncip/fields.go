package ncip

// This file holds the optional-field groups shared by many services
// (ncip_v2_02.xsd ItemOptionalFields, UserOptionalFields and their parts).
// Fields follow the schema's sequence order, which the encoder relies on.
// Elements not modelled here are skipped by the decoder.

// BibliographicDescription describes the work an item holds (ncip_v2_02.xsd BibliographicDescription).
type BibliographicDescription struct {
	Author                     string                  `xml:"Author,omitempty"`
	AuthorOfComponent          string                  `xml:"AuthorOfComponent,omitempty"`
	BibliographicItemID        *BibliographicItemID    `xml:"BibliographicItemId,omitempty"`
	BibliographicRecordIDs     []BibliographicRecordID `xml:"BibliographicRecordId"`
	ComponentID                *ComponentID            `xml:"ComponentId,omitempty"`
	Edition                    string                  `xml:"Edition,omitempty"`
	Pagination                 string                  `xml:"Pagination,omitempty"`
	PlaceOfPublication         string                  `xml:"PlaceOfPublication,omitempty"`
	PublicationDate            string                  `xml:"PublicationDate,omitempty"`
	PublicationDateOfComponent string                  `xml:"PublicationDateOfComponent,omitempty"`
	Publisher                  string                  `xml:"Publisher,omitempty"`
	SeriesTitleNumber          string                  `xml:"SeriesTitleNumber,omitempty"`
	Title                      string                  `xml:"Title,omitempty"`
	TitleOfComponent           string                  `xml:"TitleOfComponent,omitempty"`
	BibliographicLevel         SchemeValue             `xml:"BibliographicLevel"`
	SponsoringBody             string                  `xml:"SponsoringBody,omitempty"`
	ElectronicDataFormatType   SchemeValue             `xml:"ElectronicDataFormatType"`
	Language                   SchemeValue             `xml:"Language"`
	MediumType                 SchemeValue             `xml:"MediumType"`
}

// BibliographicItemID is an ISBN, ISSN or similar (ncip_v2_02.xsd BibliographicItemId).
type BibliographicItemID struct {
	Identifier string      `xml:"BibliographicItemIdentifier" ncip:"req"`
	Code       SchemeValue `xml:"BibliographicItemIdentifierCode"`
}

// BibliographicRecordID is a record number, qualified by an agency or a code
// (ncip_v2_02.xsd BibliographicRecordId).
type BibliographicRecordID struct {
	Identifier string      `xml:"BibliographicRecordIdentifier" ncip:"req"`
	AgencyID   SchemeValue `xml:"AgencyId" ncip:"one=q"`
	Code       SchemeValue `xml:"BibliographicRecordIdentifierCode" ncip:"one=q"`
}

// ComponentID identifies a component such as an article (ncip_v2_02.xsd ComponentId).
type ComponentID struct {
	Type       SchemeValue `xml:"ComponentIdentifierType" ncip:"req"`
	Identifier string      `xml:"ComponentIdentifier"`
}

// BibliographicID is one of BibliographicItemId or BibliographicRecordId (ncip_v2_02.xsd BibliographicId).
type BibliographicID struct {
	ItemID   *BibliographicItemID   `xml:"BibliographicItemId,omitempty" ncip:"one=b"`
	RecordID *BibliographicRecordID `xml:"BibliographicRecordId,omitempty" ncip:"one=b"`
}

// ItemDescription is ncip_v2_02.xsd ItemDescription, without HoldingsInformation.
type ItemDescription struct {
	CallNumber           string      `xml:"CallNumber,omitempty"`
	CopyNumber           string      `xml:"CopyNumber,omitempty"`
	ItemDescriptionLevel SchemeValue `xml:"ItemDescriptionLevel"`
	NumberOfPieces       int         `xml:"NumberOfPieces,omitempty"`
}

// Location is where an item is (ncip_v2_02.xsd Location).
type Location struct {
	Type          SchemeValue    `xml:"LocationType" ncip:"req"`
	Name          []LocationName `xml:"LocationName>LocationNameInstance" ncip:"min=1"`
	ValidFromDate DateTime       `xml:"ValidFromDate"`
	ValidToDate   DateTime       `xml:"ValidToDate"`
}

// LocationName is one level of a location name (ncip_v2_02.xsd LocationNameInstance).
type LocationName struct {
	Level int    `xml:"LocationNameLevel"`
	Value string `xml:"LocationNameValue"`
}

// ElectronicResource is ncip_v2_02.xsd ElectronicResource.
type ElectronicResource struct {
	ElectronicDataFormatType SchemeValue `xml:"ElectronicDataFormatType"`
	ActualResource           string      `xml:"ActualResource,omitempty" ncip:"one=r"`
	ReferenceToResource      string      `xml:"ReferenceToResource,omitempty" ncip:"one=r"`
}

// PhysicalCondition is ncip_v2_02.xsd PhysicalCondition.
type PhysicalCondition struct {
	Type    SchemeValue `xml:"PhysicalConditionType" ncip:"req"`
	Details string      `xml:"PhysicalConditionDetails,omitempty"`
}

// ItemOptionalFields are the item details a response may carry (ncip_v2_02.xsd ItemOptionalFields).
type ItemOptionalFields struct {
	BibliographicDescription *BibliographicDescription `xml:"BibliographicDescription,omitempty"`
	ItemUseRestrictionTypes  []SchemeValue             `xml:"ItemUseRestrictionType"`
	CirculationStatus        SchemeValue               `xml:"CirculationStatus"`
	HoldQueueLength          *int                      `xml:"HoldQueueLength,omitempty"`
	ItemDescription          *ItemDescription          `xml:"ItemDescription,omitempty"`
	Locations                []Location                `xml:"Location"`
	PhysicalCondition        *PhysicalCondition        `xml:"PhysicalCondition,omitempty"`
	ElectronicResource       *ElectronicResource       `xml:"ElectronicResource,omitempty"`
	SecurityMarker           SchemeValue               `xml:"SecurityMarker"`
	SensitizationFlag        Flag                      `xml:"SensitizationFlag"`
	DateDue                  DateTime                  `xml:"DateDue"`
}

// NameInformation is a person's or organisation's name (ncip_v2_02.xsd NameInformation).
type NameInformation struct {
	Personal      *PersonalNameInformation      `xml:"PersonalNameInformation,omitempty" ncip:"one=n"`
	Organizations []OrganizationNameInformation `xml:"OrganizationNameInformation" ncip:"one=n"`
}

// PersonalNameInformation is ncip_v2_02.xsd PersonalNameInformation.
type PersonalNameInformation struct {
	Structured   *StructuredPersonalUserName `xml:"StructuredPersonalUserName,omitempty" ncip:"any=p"`
	Unstructured string                      `xml:"UnstructuredPersonalUserName,omitempty" ncip:"any=p"`
}

// StructuredPersonalUserName is ncip_v2_02.xsd StructuredPersonalUserName.
type StructuredPersonalUserName struct {
	Prefix    string `xml:"Prefix,omitempty"`
	GivenName string `xml:"GivenName,omitempty"`
	Initials  string `xml:"Initials,omitempty"`
	Surname   string `xml:"Surname"`
	Suffix    string `xml:"Suffix,omitempty"`
}

// OrganizationNameInformation is ncip_v2_02.xsd OrganizationNameInformation.
type OrganizationNameInformation struct {
	Type SchemeValue `xml:"OrganizationNameType" ncip:"req"`
	Name string      `xml:"OrganizationName"`
}

// UserAddressInformation is one address of a user (ncip_v2_02.xsd UserAddressInformation).
type UserAddressInformation struct {
	RoleType          SchemeValue        `xml:"UserAddressRoleType" ncip:"req"`
	ValidFromDate     DateTime           `xml:"ValidFromDate"`
	ValidToDate       DateTime           `xml:"ValidToDate"`
	PhysicalAddress   *PhysicalAddress   `xml:"PhysicalAddress,omitempty" ncip:"one=a"`
	ElectronicAddress *ElectronicAddress `xml:"ElectronicAddress,omitempty" ncip:"one=a"`
}

// UserPrivilege is a privilege or status a user holds at an agency (ncip_v2_02.xsd UserPrivilege).
type UserPrivilege struct {
	AgencyID                 SchemeValue          `xml:"AgencyId" ncip:"req"`
	AgencyUserPrivilegeType  SchemeValue          `xml:"AgencyUserPrivilegeType" ncip:"req"`
	ValidFromDate            DateTime             `xml:"ValidFromDate"`
	ValidToDate              DateTime             `xml:"ValidToDate"`
	Status                   *UserPrivilegeStatus `xml:"UserPrivilegeStatus,omitempty"`
	UserPrivilegeDescription string               `xml:"UserPrivilegeDescription,omitempty"`
}

// UserPrivilegeStatus is ncip_v2_02.xsd UserPrivilegeStatus.
type UserPrivilegeStatus struct {
	Type SchemeValue `xml:"UserPrivilegeStatusType" ncip:"req"`
	Date DateTime    `xml:"DateOfUserPrivilegeStatus"`
}

// BlockOrTrap is a block on a user (ncip_v2_02.xsd BlockOrTrap).
type BlockOrTrap struct {
	AgencyID      SchemeValue `xml:"AgencyId" ncip:"req"`
	Type          SchemeValue `xml:"BlockOrTrapType" ncip:"req"`
	ValidFromDate DateTime    `xml:"ValidFromDate"`
	ValidToDate   DateTime    `xml:"ValidToDate"`
}

// UserOptionalFields are the user details a response may carry (ncip_v2_02.xsd UserOptionalFields).
type UserOptionalFields struct {
	NameInformation        *NameInformation         `xml:"NameInformation,omitempty"`
	UserAddressInformation []UserAddressInformation `xml:"UserAddressInformation"`
	DateOfBirth            DateTime                 `xml:"DateOfBirth"`
	UserLanguages          []SchemeValue            `xml:"UserLanguage"`
	UserPrivileges         []UserPrivilege          `xml:"UserPrivilege"`
	BlockOrTraps           []BlockOrTrap            `xml:"BlockOrTrap"`
	UserIDs                []UserID                 `xml:"UserId"`
	PreviousUserIDs        []PreviousUserID         `xml:"PreviousUserId"`
}

// LoanedItem is one loan in a LookupUserResponse (ncip_v2_02.xsd LoanedItem).
type LoanedItem struct {
	ItemID                      *ItemID           `xml:"ItemId" ncip:"req"`
	BibliographicIDs            []BibliographicID `xml:"BibliographicId"`
	ReminderLevel               *int              `xml:"ReminderLevel,omitempty"`
	DateDue                     DateTime          `xml:"DateDue" ncip:"one=d"`
	IndeterminateLoanPeriodFlag Flag              `xml:"IndeterminateLoanPeriodFlag" ncip:"one=d"`
	Amount                      *Amount           `xml:"Amount,omitempty"`
	Title                       string            `xml:"Title,omitempty"`
	MediumType                  SchemeValue       `xml:"MediumType"`
}

// RequestedItem is one request in a LookupUserResponse (ncip_v2_02.xsd RequestedItem).
type RequestedItem struct {
	ItemID            *ItemID           `xml:"ItemId,omitempty" ncip:"any=id"`
	RequestID         *RequestID        `xml:"RequestId,omitempty" ncip:"any=id"`
	BibliographicIDs  []BibliographicID `xml:"BibliographicId"`
	RequestType       SchemeValue       `xml:"RequestType" ncip:"req"`
	RequestStatusType SchemeValue       `xml:"RequestStatusType" ncip:"req"`
	DatePlaced        DateTime          `xml:"DatePlaced" ncip:"req"`
	PickupDate        DateTime          `xml:"PickupDate"`
	PickupLocation    SchemeValue       `xml:"PickupLocation"`
	PickupExpiryDate  DateTime          `xml:"PickupExpiryDate"`
	ReminderLevel     *int              `xml:"ReminderLevel,omitempty"`
	HoldQueuePosition *int              `xml:"HoldQueuePosition,omitempty"`
	Title             string            `xml:"Title,omitempty"`
	MediumType        SchemeValue       `xml:"MediumType"`
}

// LoanedItemsCount is ncip_v2_02.xsd LoanedItemsCount.
type LoanedItemsCount struct {
	CirculationStatus      SchemeValue `xml:"CirculationStatus" ncip:"one=c"`
	ItemUseRestrictionType SchemeValue `xml:"ItemUseRestrictionType" ncip:"one=c"`
	Value                  int         `xml:"LoanedItemCountValue"`
}

// RequestedItemsCount is ncip_v2_02.xsd RequestedItemsCount.
type RequestedItemsCount struct {
	RequestType            SchemeValue `xml:"RequestType" ncip:"one=c"`
	CirculationStatus      SchemeValue `xml:"CirculationStatus" ncip:"one=c"`
	ItemUseRestrictionType SchemeValue `xml:"ItemUseRestrictionType" ncip:"one=c"`
	Value                  int         `xml:"RequestedItemCountValue"`
}

// UserFiscalAccount is a user's balance (ncip_v2_02.xsd UserFiscalAccount, without AccountDetails).
type UserFiscalAccount struct {
	AccountBalance *Amount `xml:"AccountBalance" ncip:"req"`
}

// RoutingInformation says where a checked-in item goes next (ncip_v2_02.xsd RoutingInformation).
type RoutingInformation struct {
	RoutingInstructions string      `xml:"RoutingInstructions"`
	Destination         Destination `xml:"Destination"`
	RequestType         SchemeValue `xml:"RequestType"`
	UserID              *UserID     `xml:"UserId,omitempty"`
}

// Destination is ncip_v2_02.xsd Destination.
type Destination struct {
	BinNumber string    `xml:"BinNumber,omitempty" ncip:"any=d"`
	Location  *Location `xml:"Location,omitempty" ncip:"any=d"`
}

// AuthenticationPrompt is ncip_v2_02.xsd AuthenticationPrompt.
type AuthenticationPrompt struct {
	PromptOutput PromptOutput `xml:"PromptOutput"`
	PromptInput  PromptInput  `xml:"PromptInput"`
}

// PromptOutput is ncip_v2_02.xsd PromptOutput.
type PromptOutput struct {
	Data string      `xml:"AuthenticationPromptData"`
	Type SchemeValue `xml:"AuthenticationPromptType" ncip:"req"`
}

// PromptInput is ncip_v2_02.xsd PromptInput.
type PromptInput struct {
	Type       SchemeValue `xml:"AuthenticationInputType" ncip:"req"`
	DataFormat SchemeValue `xml:"AuthenticationDataFormatType" ncip:"req"`
}

// AgencyAddressInformation is ncip_v2_02.xsd AgencyAddressInformation.
type AgencyAddressInformation struct {
	RoleType          SchemeValue        `xml:"AgencyAddressRoleType" ncip:"req"`
	ValidFromDate     DateTime           `xml:"ValidFromDate"`
	ValidToDate       DateTime           `xml:"ValidToDate"`
	PhysicalAddress   *PhysicalAddress   `xml:"PhysicalAddress,omitempty" ncip:"one=a"`
	ElectronicAddress *ElectronicAddress `xml:"ElectronicAddress,omitempty" ncip:"one=a"`
}

// PreviousUserID is an identifier a user had before (ncip_v2_02.xsd PreviousUserId).
type PreviousUserID struct {
	AgencyID      SchemeValue `xml:"AgencyId" ncip:"req"`
	Value         string      `xml:"UserIdentifierValue"`
	ValidFromDate DateTime    `xml:"ValidFromDate"`
	ValidToDate   DateTime    `xml:"ValidToDate"`
}
