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
