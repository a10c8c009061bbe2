package z3950

import (
	"context"
	"net"
	"time"

	"github.com/illgw/illgw/z3950/ber"
)

// Backend opens a Session for each association (connection) after a successful Init. The same
// Backend serves Z39.50 and SRU (package z3950/sru).
type Backend interface {
	// Init is called when a client sends an InitializeRequest (Z39.50-2003 §3.2.1.1). It
	// checks idAuthentication if it wants to; returning a *Diagnostic (e.g. 1011 bad
	// userid/password) refuses the association with that diagnostic.
	Init(ctx context.Context, info *InitInfo) (Session, error)
}

// InitInfo is what a Backend learns about a new association.
type InitInfo struct {
	RemoteAddr net.Addr
	// Auth is idAuthentication as sent (nil when absent). Never log its Password or Open.
	Auth               *Auth
	ImplementationName string
	// UTF8 reports that the client negotiated UTF-8 with Charset-3.
	UTF8 bool
	// MARC8 asks for MARC records in MARC-8 for the whole association: set when the server is
	// configured to serve MARC-8 (Server.MARC8) and the client did not negotiate UTF-8.
	// Otherwise records go out as UTF-8. A backend may also decide per database.
	MARC8 bool
}

// Session is one association's view of the catalogue. The server calls its methods one at a
// time, never concurrently. Errors of type *Diagnostic go to the client as they are; any
// other error is logged and answered with Bib-1 diagnostic 2 (temporary system error).
type Session interface {
	// Search runs a query and keeps the result under q.ResultSet (Z39.50-2003 §3.2.2.1),
	// replacing an earlier set of that name. It returns the hit count.
	Search(ctx context.Context, q *SearchQuery) (*SearchResult, error)
	// Fetch returns records Start..Start+Count-1 (1-based) of a result set in the requested
	// syntax and element set (Z39.50-2003 §3.2.3.1). The server has already checked that the
	// range lies inside the result set. A record that cannot be produced is returned with its
	// Diagnostic set (a surrogate diagnostic) rather than failing the whole call.
	Fetch(ctx context.Context, f *FetchRequest) ([]Record, error)
	// Close is called once when the association ends.
	Close(ctx context.Context) error
}

// Scanner is implemented by sessions that support Scan (Z39.50-2003 §3.2.8.1).
type Scanner interface {
	Scan(ctx context.Context, q *ScanQuery) (*ScanResult, error)
}

// Sorter is implemented by sessions that support Sort (Z39.50-2003 §3.2.7.1).
type Sorter interface {
	// Sort sorts the input result set into the output result set; it returns the count.
	Sort(ctx context.Context, q *SortQuery) (int, error)
}

// Deleter is implemented by sessions that can drop result sets early (Z39.50-2003 §3.2.4.1).
type Deleter interface {
	Delete(ctx context.Context, resultSets []string) error
}

// SearchQuery is a search as the backend sees it.
type SearchQuery struct {
	ResultSet string
	Databases []string
	Query     Query
	// TTL > 0 asks the backend to keep the result set for that long after its last use,
	// beyond this session, under its (then globally unique) name: SRU result set ids, which
	// later requests continue with the query cql.resultSetId="name". 0 means the set lives
	// with the session.
	TTL time.Duration
}

// SearchResult is a search outcome.
type SearchResult struct {
	Count int
	// Estimate marks Count as an estimate (resultSetStatus estimate).
	Estimate bool
	// Warnings are problems that did not stop the search, such as a database of a federated
	// search that did not answer. Z39.50 sends them as additionalSearchInfo text
	// (Z39.50-2003 §3.2.2.1.6) beside a successful search; SRU as diagnostics beside the
	// records (SRU 1.2 §"Diagnostics").
	Warnings []Diagnostic
}

// FetchRequest asks for a range of records.
type FetchRequest struct {
	ResultSet  string
	Start      int
	Count      int
	Syntax     ber.OID // nil: the backend's default (USMARC)
	ElementSet string  // "" or "F" full, "B" brief, "marcxml", ...
	// MARC8 asks for MARC-8 records (see InitInfo.MARC8); false means UTF-8.
	MARC8 bool
}

// Record is one retrieved record, or a surrogate diagnostic in its place.
type Record struct {
	Database   string
	Syntax     ber.OID
	Data       []byte      // octets: ISO 2709, XML, SUTRS text
	OPAC       *OPACRecord // for Syntax == OIDOPAC
	Diagnostic *Diagnostic
}

// ScanQuery is a scan request.
type ScanQuery struct {
	Databases         []string
	Term              AttrTerm
	Count             int
	PreferredPosition int
	StepSize          int
}

// ScanTerm is one term of a scan list.
type ScanTerm struct {
	Term        string
	Occurrences int
}

// ScanResult is a scan outcome: Position is the 1-based position of the start term in Terms.
type ScanResult struct {
	Terms    []ScanTerm
	Position int
	// Partial reports that the list ended before Count terms were found (scanStatus partial-5).
	Partial bool
}

// SortQuery is a sort request.
type SortQuery struct {
	Inputs []string
	Output string
	Keys   []SortKey
}
