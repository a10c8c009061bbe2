package z3950

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/illgw/illgw/z3950/ber"
)

// Client errors. A *Diagnostic is returned when the target answers with one.
var (
	// ErrTimeout reports that the context deadline passed before the target answered. The
	// connection is closed: a late answer would desynchronise it.
	ErrTimeout = errors.New("z3950: timeout")
	// ErrConnectionLost reports that the target closed the connection or it broke.
	ErrConnectionLost = errors.New("z3950: connection lost")
	// ErrInitRefused reports an InitializeResponse with result false and no diagnostic.
	ErrInitRefused = errors.New("z3950: init refused")
	// ErrBadResponse reports a response that could not be decoded or was not the expected PDU.
	ErrBadResponse = errors.New("z3950: bad response")
)

// ConnectError reports a failure to reach the target.
type ConnectError struct {
	Addr string
	Err  error
}

func (e *ConnectError) Error() string { return "z3950: connect " + e.Addr + ": " + e.Err.Error() }

// Unwrap returns the network error.
func (e *ConnectError) Unwrap() error { return e.Err }

// ClientOptions configures Dial. The zero value is usable.
type ClientOptions struct {
	Auth *Auth
	// PreferredMessageSize asks the target for this message size. 0 means 1 MiB.
	PreferredMessageSize int
	// MaxRecordSize is the exceptionalRecordSize asked for. 0 means 16 MiB.
	MaxRecordSize int
	// MaxPDUSize bounds a PDU read from the target. 0 means 16 MiB (ber.DefaultTargetPDU).
	MaxPDUSize int
	// UTF8 proposes UTF-8 with Charset-3 negotiation.
	UTF8 bool
	// ImplementationName is sent in Init. "" means "illgw".
	ImplementationName string
}

// Client is one Z39.50 association with a target (the origin side). Its methods may be
// called from several goroutines; they are serialised, as Z39.50 without concurrent
// operations requires.
type Client struct {
	mu     sync.Mutex
	nc     net.Conn
	br     *bufio.Reader
	lim    ber.Limits
	broken error
	addr   string
	// Init is the target's InitializeResponse.
	Init *InitResponse
}

// Dial connects to addr ("host:port") and sends an InitializeRequest (Z39.50-2003 §3.2.1.1).
// ctx bounds the connect and the Init.
func Dial(ctx context.Context, addr string, opts *ClientOptions) (*Client, error) {
	if opts == nil {
		opts = &ClientOptions{}
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		// The dialer's own deadline (taken from ctx) can fire a moment
		// before ctx reports it, so a net timeout counts as one too.
		var ne net.Error
		if ctx.Err() != nil || (errors.As(err, &ne) && ne.Timeout()) {
			return nil, fmt.Errorf("%w: connecting to %s", ErrTimeout, addr)
		}
		return nil, &ConnectError{Addr: addr, Err: err}
	}
	c := &Client{nc: nc, addr: addr, br: bufio.NewReaderSize(nc, 16<<10),
		lim: ber.Limits{MaxSize: orDefault(opts.MaxPDUSize, ber.DefaultTargetPDU)}}
	name := opts.ImplementationName
	if name == "" {
		name = "illgw"
	}
	req := &InitRequest{
		Version:               Version1 | Version2 | Version3,
		Options:               OptSearch | OptPresent | OptDelSet | OptScan | OptSort | OptNamedResultSets,
		PreferredMessageSize:  orDefault(opts.PreferredMessageSize, 1<<20),
		ExceptionalRecordSize: orDefault(opts.MaxRecordSize, 16<<20),
		Auth:                  opts.Auth,
		ImplementationID:      "illgw",
		ImplementationName:    name,
	}
	if opts.UTF8 {
		req.Options |= OptNegotiation
		yes := true
		req.Charset = &CharsetProposal{UTF8: true, RecordsInSelectedCharSets: &yes}
	}
	resp, err := c.roundTrip(ctx, req)
	if err != nil {
		nc.Close()
		return nil, err
	}
	ir, ok := resp.(*InitResponse)
	if !ok {
		nc.Close()
		return nil, fmt.Errorf("%w: %T to Init", ErrBadResponse, resp)
	}
	if !ir.Result {
		nc.Close()
		if d := initDiagnostic(ir.UserInformation); d != nil {
			return nil, d
		}
		return nil, ErrInitRefused
	}
	c.Init = ir
	return c, nil
}

// initDiagnostic finds the diagnostic in an Init refusal's userInformationField: UserInfo-1
// holding a diag-1 DiagnosticFormat (what YAZ servers and ours send), or a bare DiagRec.
func initDiagnostic(x *External) *Diagnostic {
	if x == nil || x.ASN1 == nil {
		return nil
	}
	t, err := ber.Parse(x.ASN1, ber.Limits{MaxSize: len(x.ASN1) + 1, MaxDepth: 16})
	if err != nil {
		return nil
	}
	if d, err := decodeDiagRec(t.Root()); err == nil {
		return &d
	}
	// [201] { SEQUENCE { [4] EXTERNAL { diag-1 OID, [0] { SEQUENCE OF { SEQUENCE { [1] { [1] DefaultDiagFormat }}}}}}}
	for info := t.Root().First(); info.Valid(); info = info.Next() {
		ext := info.Child(ber.CC(4))
		list := ext.Child(ber.CC(0)).First()
		for item := list.First(); item.Valid(); item = item.Next() {
			if dd := item.Child(ber.CC(1)).Child(ber.CC(1)); dd.Valid() {
				if d, err := decodeDefaultDiag(dd); err == nil {
					return &d
				}
			}
		}
	}
	return nil
}

// roundTrip sends one request and reads one response under ctx.
func (c *Client) roundTrip(ctx context.Context, req PDU) (PDU, error) {
	if c.broken != nil {
		return nil, c.broken
	}
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Time{}
	}
	_ = c.nc.SetDeadline(dl)
	stop := context.AfterFunc(ctx, func() { _ = c.nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	fail := func(err error) (PDU, error) {
		switch {
		case ctx.Err() != nil || isTimeout(err):
			err = fmt.Errorf("%w: %v", ErrTimeout, err)
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) || isNetErr(err):
			err = fmt.Errorf("%w: %v", ErrConnectionLost, err)
		default:
			err = fmt.Errorf("%w: %v", ErrBadResponse, err)
		}
		c.broken = err
		_ = c.nc.Close()
		return nil, err
	}
	if _, err := c.nc.Write(Encode(req)); err != nil {
		return fail(err)
	}
	b, err := ber.ReadFrame(c.br, c.lim)
	if err != nil {
		return fail(err)
	}
	resp, err := Decode(b, c.lim)
	if err != nil {
		return fail(err)
	}
	if cl, ok := resp.(*Close); ok {
		if _, sentClose := req.(*Close); !sentClose {
			c.broken = fmt.Errorf("%w: target closed (reason %d: %s)", ErrConnectionLost, cl.Reason, cl.Diagnostic)
			_ = c.nc.Close()
			return nil, c.broken
		}
	}
	return resp, nil
}

func isNetErr(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe)
}

// SearchOptions are the optional parts of a Search.
type SearchOptions struct {
	ResultSet string // "" means "default"
	// Piggyback asks for up to this many records in the search response (small-set rule).
	Piggyback  int
	Syntax     ber.OID
	ElementSet string
}

// Search sends a SearchRequest (Z39.50-2003 §3.2.2.1). A failed search returns the response
// and the target's first non-surrogate diagnostic as a *Diagnostic.
func (c *Client) Search(ctx context.Context, databases []string, q Query, opts *SearchOptions) (*SearchResponse, error) {
	if opts == nil {
		opts = &SearchOptions{}
	}
	name := opts.ResultSet
	if name == "" {
		name = defaultSetName
	}
	req := &SearchRequest{
		SmallSetUpperBound: opts.Piggyback, LargeSetLowerBound: opts.Piggyback + 1,
		ReplaceIndicator: true, ResultSetName: name, Databases: databases, Query: q,
		PreferredRecordSyntax: opts.Syntax,
	}
	if opts.Piggyback > 0 && opts.ElementSet != "" {
		req.SmallSetElementSetName = opts.ElementSet
	}
	sr, err := exchange[*SearchResponse](ctx, c, req)
	if err != nil {
		return nil, err
	}
	return sr, firstDiagnostic(sr.Diagnostics)
}

// firstDiagnostic returns the first of a response's non-surrogate diagnostics
// (Z39.50-2003 §3.2.2.1.5 "Records") as a *Diagnostic error, or nil when there is none.
func firstDiagnostic(ds []Diagnostic) error {
	if len(ds) == 0 {
		return nil
	}
	d := ds[0]
	return &d
}

// exchange runs one request on c and type-checks the response as T, the one
// response PDU each request expects (Z39.50-2003 §3.2).
func exchange[T PDU](ctx context.Context, c *Client, req PDU) (T, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var zero T
	resp, err := c.roundTrip(ctx, req)
	if err != nil {
		return zero, err
	}
	if r, ok := resp.(T); ok {
		return r, nil
	}
	return zero, fmt.Errorf("%w: %T to %T", ErrBadResponse, resp, req)
}

// Present retrieves records start..start+count-1 of a result set (Z39.50-2003 §3.2.3.1),
// sending further Presents from nextResultSetPosition while the target answers partially
// (presentStatus partial-2 when records exceed the message size). It stops when a response
// brings no record. A non-surrogate diagnostic is returned as *Diagnostic along with the
// records already received.
func (c *Client) Present(ctx context.Context, resultSet string, start, count int, syntax ber.OID, elementSet string) ([]NamePlusRecord, error) {
	if resultSet == "" {
		resultSet = defaultSetName
	}
	var out []NamePlusRecord
	for count > 0 {
		pr, err := exchange[*PresentResponse](ctx, c, &PresentRequest{ResultSetID: resultSet, Start: start, Count: count,
			ElementSetName: elementSet, PreferredRecordSyntax: syntax})
		if err != nil {
			return out, err
		}
		if err := firstDiagnostic(pr.Diagnostics); err != nil {
			return out, err
		}
		n := len(pr.Records)
		if n == 0 {
			break
		}
		out = append(out, pr.Records...)
		count -= n
		start += n
		if pr.NextResultSetPosition > 0 {
			start = pr.NextResultSetPosition
		}
	}
	return out, nil
}

// Scan asks for up to n terms around term in one database's index (Z39.50-2003 §3.2.8.1);
// position is where the term should appear in the list (1 = first).
func (c *Client) Scan(ctx context.Context, database string, term AttrTerm, n, position int) (*ScanResponse, error) {
	req := &ScanRequest{Databases: []string{database}, AttributeSet: OIDBib1Attributes, Term: term,
		StepSize: IntPtr(0), NumberOfTerms: n, PreferredPosition: IntPtr(position)}
	sr, err := exchange[*ScanResponse](ctx, c, req)
	if err != nil {
		return nil, err
	}
	return sr, firstDiagnostic(sr.Diagnostics)
}

// Sort sorts input into output by keys (Z39.50-2003 §3.2.7.1).
func (c *Client) Sort(ctx context.Context, input, output string, keys []SortKey) (*SortResponse, error) {
	sr, err := exchange[*SortResponse](ctx, c, &SortRequest{Inputs: []string{input}, Output: output, Keys: keys})
	if err != nil {
		return nil, err
	}
	if err := firstDiagnostic(sr.Diagnostics); err != nil {
		return sr, err
	}
	if sr.Status == SortFailure {
		return sr, &Diagnostic{Code: 207}
	}
	return sr, nil
}

// Delete deletes named result sets (Z39.50-2003 §3.2.4.1).
func (c *Client) Delete(ctx context.Context, names ...string) error {
	dr, err := exchange[*DeleteResponse](ctx, c, &DeleteRequest{ResultSets: names})
	if err != nil {
		return err
	}
	if dr.Status != 0 {
		return &Diagnostic{Code: 30, AddInfo: fmt.Sprint(names)}
	}
	return nil
}

// Close sends Close (finished), waits for the target's Close under ctx, and closes the
// connection (Z39.50-2003 §3.2.11.1).
func (c *Client) Close(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken == nil {
		_, _ = c.roundTrip(ctx, &Close{Reason: CloseFinished})
		c.broken = fmt.Errorf("%w: closed", ErrConnectionLost)
	}
	return c.nc.Close()
}

// Healthy reports whether the connection is still usable (for connection reuse).
func (c *Client) Healthy() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.broken == nil
}
