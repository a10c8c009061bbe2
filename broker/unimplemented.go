package broker

import (
	"context"

	"google.golang.org/grpc/codes"

	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

// The services below are declared so clients see the whole API; each method
// answers UNIMPLEMENTED naming the issue that brings it.

func notYet(method, issue string) error {
	return errorf(codes.Unimplemented, "%s is not implemented yet: it comes with %s", method, issue)
}

const (
	issueCatalog = "issue 5 (federated search)"
	issueCirc    = "issue 6 (SIP2 circulation)"
	issueLoans   = "issue 8 (interlibrary loans end to end)"
)

// catalogService is the Catalog service until issue 5 lands.
type catalogService struct {
	illgwv1.UnimplementedCatalogServer
}

func (catalogService) Search(context.Context, *illgwv1.SearchRequest) (*illgwv1.SearchResponse, error) {
	return nil, notYet("Catalog.Search", issueCatalog)
}

func (catalogService) Present(context.Context, *illgwv1.PresentRequest) (*illgwv1.PresentResponse, error) {
	return nil, notYet("Catalog.Present", issueCatalog)
}

func (catalogService) Scan(context.Context, *illgwv1.ScanRequest) (*illgwv1.ScanResponse, error) {
	return nil, notYet("Catalog.Scan", issueCatalog)
}

func (catalogService) Sort(context.Context, *illgwv1.SortRequest) (*illgwv1.SortResponse, error) {
	return nil, notYet("Catalog.Sort", issueCatalog)
}

// circulationService is the Circulation service until issue 6 lands.
type circulationService struct {
	illgwv1.UnimplementedCirculationServer
}

func (circulationService) Login(context.Context, *illgwv1.LoginRequest) (*illgwv1.LoginResponse, error) {
	return nil, notYet("Circulation.Login", issueCirc)
}

func (circulationService) Status(context.Context, *illgwv1.StatusRequest) (*illgwv1.StatusResponse, error) {
	return nil, notYet("Circulation.Status", issueCirc)
}

func (circulationService) PatronStatus(context.Context, *illgwv1.PatronStatusRequest) (*illgwv1.PatronStatusResponse, error) {
	return nil, notYet("Circulation.PatronStatus", issueCirc)
}

func (circulationService) PatronInformation(context.Context, *illgwv1.PatronInformationRequest) (*illgwv1.PatronInformationResponse, error) {
	return nil, notYet("Circulation.PatronInformation", issueCirc)
}

func (circulationService) Checkout(context.Context, *illgwv1.CheckoutRequest) (*illgwv1.CheckoutResponse, error) {
	return nil, notYet("Circulation.Checkout", issueCirc)
}

func (circulationService) Checkin(context.Context, *illgwv1.CheckinRequest) (*illgwv1.CheckinResponse, error) {
	return nil, notYet("Circulation.Checkin", issueCirc)
}

func (circulationService) Renew(context.Context, *illgwv1.RenewRequest) (*illgwv1.RenewResponse, error) {
	return nil, notYet("Circulation.Renew", issueCirc)
}

func (circulationService) RenewAll(context.Context, *illgwv1.RenewAllRequest) (*illgwv1.RenewAllResponse, error) {
	return nil, notYet("Circulation.RenewAll", issueCirc)
}

func (circulationService) ItemInformation(context.Context, *illgwv1.ItemInformationRequest) (*illgwv1.ItemInformationResponse, error) {
	return nil, notYet("Circulation.ItemInformation", issueCirc)
}

func (circulationService) FeePaid(context.Context, *illgwv1.FeePaidRequest) (*illgwv1.FeePaidResponse, error) {
	return nil, notYet("Circulation.FeePaid", issueCirc)
}

func (circulationService) Hold(context.Context, *illgwv1.HoldRequest) (*illgwv1.HoldResponse, error) {
	return nil, notYet("Circulation.Hold", issueCirc)
}

func (circulationService) EndSession(context.Context, *illgwv1.EndSessionRequest) (*illgwv1.EndSessionResponse, error) {
	return nil, notYet("Circulation.EndSession", issueCirc)
}
