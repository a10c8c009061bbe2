package ncip

import (
	"encoding/xml"
	"fmt"
	"strings"
	"time"
)

// Namespace is the NCIP 2 XML namespace (ncip_v2_02.xsd targetNamespace).
const Namespace = "http://www.niso.org/2008/ncip"

// Version202 is the version URI this package writes in NCIPMessage/@ncip:version
// unless told otherwise (NCIP 2.02 Part 2, Implementation Profile 1).
const Version202 = "http://www.niso.org/schemas/ncip/v2_02/ncip_v2_02.xsd"

// SchemeValue is an NCIP SchemeValuePair (ncip_v2_02.xsd complexType
// SchemeValuePair): a string value with an optional Scheme URI. The decoder
// also accepts NCIP 1-style <Scheme>…</Scheme><Value>…</Value> children. An
// empty SchemeValue is omitted on output.
type SchemeValue struct {
	Scheme string
	Value  string
}

// SV returns a SchemeValue without a scheme.
func SV(value string) SchemeValue { return SchemeValue{Value: value} }

// IsZero reports whether s has neither a value nor a scheme.
func (s SchemeValue) IsZero() bool { return s.Scheme == "" && s.Value == "" }

func (s SchemeValue) String() string { return s.Value }

// MarshalXML writes s with a qualified ncip:Scheme attribute, or nothing when s is empty.
func (s SchemeValue) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if s.IsZero() {
		return nil
	}
	start.Attr = nil
	if s.Scheme != "" {
		start.Attr = []xml.Attr{{Name: xml.Name{Local: "ncip:Scheme"}, Value: s.Scheme}}
	}
	return e.EncodeElement(s.Value, start)
}

// UnmarshalXML reads the Scheme attribute in any namespace, the text content,
// and NCIP 1 Scheme/Value children when present.
func (s *SchemeValue) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	*s = SchemeValue{}
	for _, a := range start.Attr {
		if a.Name.Local == "Scheme" {
			s.Scheme = strings.TrimSpace(a.Value)
		}
	}
	var text strings.Builder
	v1 := false
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.CharData:
			text.Write(t)
		case xml.StartElement:
			var inner string
			switch t.Name.Local {
			case "Scheme":
				if err := d.DecodeElement(&inner, &t); err != nil {
					return err
				}
				s.Scheme = strings.TrimSpace(inner)
			case "Value":
				if err := d.DecodeElement(&inner, &t); err != nil {
					return err
				}
				s.Value, v1 = strings.TrimSpace(inner), true
			default:
				if err := d.Skip(); err != nil {
					return err
				}
			}
		case xml.EndElement:
			if !v1 {
				s.Value = strings.TrimSpace(text.String())
			}
			return nil
		}
	}
}

// Flag is an NCIP empty element such as IndeterminateLoanPeriodFlag or
// LoanedItemsDesired: present when true, omitted when false.
type Flag bool

// MarshalXML writes an empty element when f is true.
func (f Flag) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if !f {
		return nil
	}
	start.Attr = nil
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	return e.EncodeToken(start.End())
}

// UnmarshalXML sets f and ignores any content.
func (f *Flag) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	*f = true
	return d.Skip()
}

// DateTime is an xs:dateTime. The zero DateTime is omitted on output; the
// decoder also accepts a date alone and a date-time without a zone (read as UTC),
// as sloppy partners send them.
type DateTime struct{ time.Time }

// At returns t as a DateTime.
func At(t time.Time) DateTime { return DateTime{t} }

var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05",
	"2006-01-02Z07:00",
	"2006-01-02",
}

// MarshalXML writes t in RFC 3339 form, which is a valid xs:dateTime.
func (t DateTime) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if t.IsZero() {
		return nil
	}
	start.Attr = nil
	return e.EncodeElement(t.Format(time.RFC3339Nano), start)
}

// UnmarshalXML parses an xs:dateTime leniently; an empty element is the zero time.
func (t *DateTime) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	var s string
	if err := d.DecodeElement(&s, &start); err != nil {
		return err
	}
	s = strings.TrimSpace(s)
	if s == "" {
		*t = DateTime{}
		return nil
	}
	for _, l := range dateLayouts {
		if v, err := time.Parse(l, s); err == nil {
			*t = DateTime{v}
			return nil
		}
	}
	return fmt.Errorf("ncip: %s: not a date-time: %.40q", start.Name.Local, s)
}

// AgencyRef is the content of FromAgencyId, ToAgencyId and OnBehalfOfAgency:
// one AgencyId (NISO Z39.83-1-2012, data element "Agency Id"). The decoder also accepts the
// NCIP 1 name UniqueAgencyId.
type AgencyRef struct {
	AgencyID SchemeValue `xml:"AgencyId" ncip:"req"`
}

// UnmarshalXML accepts AgencyId or NCIP 1 UniqueAgencyId.
func (a *AgencyRef) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	*a = AgencyRef{}
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local == "AgencyId" || t.Name.Local == "UniqueAgencyId" {
				if err := a.AgencyID.UnmarshalXML(d, t); err != nil {
					return err
				}
			} else if err := d.Skip(); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

// Agency returns an AgencyRef for the agency id.
func Agency(id string) *AgencyRef { return &AgencyRef{AgencyID: SV(id)} }

func (a *AgencyRef) id() string {
	if a == nil {
		return ""
	}
	return a.AgencyID.Value
}

// InitiationHeader opens every initiation message (NCIP 2.02 Part 1, "Initiation Header").
type InitiationHeader struct {
	FromSystemID             SchemeValue `xml:"FromSystemId"`
	FromSystemAuthentication string      `xml:"FromSystemAuthentication,omitempty"`
	FromAgencyID             *AgencyRef  `xml:"FromAgencyId" ncip:"req"`
	FromAgencyAuthentication string      `xml:"FromAgencyAuthentication,omitempty"`
	OnBehalfOfAgency         *AgencyRef  `xml:"OnBehalfOfAgency,omitempty"`
	ToSystemID               SchemeValue `xml:"ToSystemId"`
	ToAgencyID               *AgencyRef  `xml:"ToAgencyId" ncip:"req"`
	ApplicationProfileType   SchemeValue `xml:"ApplicationProfileType"`
}

// From returns the FromAgencyId value, or "" for a nil header.
func (h *InitiationHeader) From() string {
	if h == nil {
		return ""
	}
	return h.FromAgencyID.id()
}

// To returns the ToAgencyId value, or "" for a nil header.
func (h *InitiationHeader) To() string {
	if h == nil {
		return ""
	}
	return h.ToAgencyID.id()
}

// ResponseHeader opens a response (NCIP 2.02 Part 1, "Response Header").
type ResponseHeader struct {
	FromSystemID             SchemeValue `xml:"FromSystemId"`
	FromSystemAuthentication string      `xml:"FromSystemAuthentication,omitempty"`
	FromAgencyID             *AgencyRef  `xml:"FromAgencyId" ncip:"req"`
	FromAgencyAuthentication string      `xml:"FromAgencyAuthentication,omitempty"`
	ToSystemID               SchemeValue `xml:"ToSystemId"`
	ToAgencyID               *AgencyRef  `xml:"ToAgencyId" ncip:"req"`
}

// UserID identifies a user (ncip_v2_02.xsd UserId).
type UserID struct {
	AgencyID SchemeValue `xml:"AgencyId"`
	Type     SchemeValue `xml:"UserIdentifierType"`
	Value    string      `xml:"UserIdentifierValue" ncip:"req"`
}

// ItemID identifies an item (ncip_v2_02.xsd ItemId).
type ItemID struct {
	AgencyID SchemeValue `xml:"AgencyId"`
	Type     SchemeValue `xml:"ItemIdentifierType"`
	Value    string      `xml:"ItemIdentifierValue" ncip:"req"`
}

// RequestID identifies a request (ncip_v2_02.xsd RequestId).
type RequestID struct {
	AgencyID SchemeValue `xml:"AgencyId"`
	Type     SchemeValue `xml:"RequestIdentifierType"`
	Value    string      `xml:"RequestIdentifierValue" ncip:"req"`
}

// AuthenticationInput is one piece of user authentication, such as a
// barcode or a PIN (ncip_v2_02.xsd AuthenticationInput). Its Data is a
// secret: String never shows it.
type AuthenticationInput struct {
	Data       string      `xml:"AuthenticationInputData"`
	DataFormat SchemeValue `xml:"AuthenticationDataFormatType" ncip:"req"`
	Type       SchemeValue `xml:"AuthenticationInputType" ncip:"req"`
}

// String describes a without its data.
func (a AuthenticationInput) String() string { return "AuthenticationInput(" + a.Type.Value + ")" }

// MandatedAction carries the date an update service took effect (ncip_v2_02.xsd MandatedAction).
type MandatedAction struct {
	DateEventOccurred DateTime `xml:"DateEventOccurred" ncip:"req"`
}

// Amount is a monetary amount (ncip_v2_02.xsd Amount); MonetaryValue is in
// the currency's minor unit as the schema's xs:integer.
type Amount struct {
	CurrencyCode  SchemeValue `xml:"CurrencyCode" ncip:"req"`
	MonetaryValue int64       `xml:"MonetaryValue"`
}

// FiscalTransactionInformation describes a charge or payment (ncip_v2_02.xsd).
type FiscalTransactionInformation struct {
	FiscalActionType             SchemeValue          `xml:"FiscalActionType" ncip:"req"`
	FiscalTransactionReferenceID *FiscalTransactionID `xml:"FiscalTransactionReferenceId,omitempty"`
	FiscalTransactionType        SchemeValue          `xml:"FiscalTransactionType" ncip:"req"`
	ValidFromDate                DateTime             `xml:"ValidFromDate"`
	ValidToDate                  DateTime             `xml:"ValidToDate"`
	Amount                       *Amount              `xml:"Amount" ncip:"req"`
	PaymentMethodType            SchemeValue          `xml:"PaymentMethodType"`
	FiscalTransactionDescription string               `xml:"FiscalTransactionDescription,omitempty"`
	RequestID                    *RequestID           `xml:"RequestId,omitempty"`
}

// FiscalTransactionID identifies a fiscal transaction (ncip_v2_02.xsd FiscalTransactionReferenceId).
type FiscalTransactionID struct {
	AgencyID SchemeValue `xml:"AgencyId" ncip:"req"`
	Value    string      `xml:"FiscalTransactionIdentifierValue"`
}

// ElectronicAddress is an e-mail address, URL or similar (ncip_v2_02.xsd ElectronicAddress).
type ElectronicAddress struct {
	Type SchemeValue `xml:"ElectronicAddressType" ncip:"req"`
	Data string      `xml:"ElectronicAddressData"`
}

// PhysicalAddress is a postal address, structured or not (ncip_v2_02.xsd PhysicalAddress).
type PhysicalAddress struct {
	Structured   *StructuredAddress   `xml:"StructuredAddress,omitempty" ncip:"one=addr"`
	Unstructured *UnstructuredAddress `xml:"UnstructuredAddress,omitempty" ncip:"one=addr"`
	Type         SchemeValue          `xml:"PhysicalAddressType" ncip:"req"`
}

// StructuredAddress is the common subset of ncip_v2_02.xsd StructuredAddress.
type StructuredAddress struct {
	LocationWithinBuilding string `xml:"LocationWithinBuilding,omitempty"`
	HouseName              string `xml:"HouseName,omitempty"`
	Street                 string `xml:"Street,omitempty"`
	PostOfficeBox          string `xml:"PostOfficeBox,omitempty"`
	District               string `xml:"District,omitempty"`
	Line1                  string `xml:"Line1,omitempty"`
	Line2                  string `xml:"Line2,omitempty"`
	Locality               string `xml:"Locality,omitempty"`
	Region                 string `xml:"Region,omitempty"`
	Country                string `xml:"Country,omitempty"`
	PostalCode             string `xml:"PostalCode,omitempty"`
	CareOf                 string `xml:"CareOf,omitempty"`
}

// UnstructuredAddress is ncip_v2_02.xsd UnstructuredAddress.
type UnstructuredAddress struct {
	Type SchemeValue `xml:"UnstructuredAddressType" ncip:"req"`
	Data string      `xml:"UnstructuredAddressData"`
}

// ShippingInformation says where and how to ship (ncip_v2_02.xsd ShippingInformation).
type ShippingInformation struct {
	ShippingInstructions string             `xml:"ShippingInstructions,omitempty"`
	ShippingNote         string             `xml:"ShippingNote,omitempty"`
	PhysicalAddress      *PhysicalAddress   `xml:"PhysicalAddress,omitempty" ncip:"one=addr"`
	ElectronicAddress    *ElectronicAddress `xml:"ElectronicAddress,omitempty" ncip:"one=addr"`
}
