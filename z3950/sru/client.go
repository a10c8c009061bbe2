package sru

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Client errors; an SRU diagnostic comes back as *Diagnostic.
var (
	ErrTimeout        = errors.New("sru: timeout")
	ErrConnect        = errors.New("sru: connect failed")
	ErrConnectionLost = errors.New("sru: connection lost")
	ErrBadResponse    = errors.New("sru: bad response")
)

// Diagnostic is an SRU diagnostic from a target (info:srw/diagnostic/1/N).
type Diagnostic struct {
	URI     string
	Details string
	Message string
}

// Code returns N of info:srw/diagnostic/1/N, or 0 for another diagnostic set.
func (d *Diagnostic) Code() int {
	n, err := strconv.Atoi(strings.TrimPrefix(d.URI, diagURIBase))
	if err != nil {
		return 0
	}
	return n
}

func (d *Diagnostic) Error() string {
	return fmt.Sprintf("sru: diagnostic %s (%s): %s", d.URI, d.Message, d.Details)
}

// Client is an SRU client with the same surface as z3950.Client. Connections are reused by the
// underlying http.Client (keep-alive).
type Client struct {
	// BaseURL is the database URL, e.g. http://host:port/Default.
	BaseURL string
	// Version is sent as the version parameter. "" means "1.2" (ZOOM's default).
	Version string
	// HTTP is the transport. nil means a client with keep-alive connections.
	HTTP *http.Client
	// MaxResponse bounds a response body. 0 means 16 MiB.
	MaxResponse int64
}

// Record is one record of a searchRetrieve response; a surrogate diagnostic sets Diagnostic.
type Record struct {
	Schema     string
	Data       []byte // the record's XML (unescaped when the target used string packing)
	Position   int
	Diagnostic *Diagnostic
}

// SearchResult is a searchRetrieve response.
type SearchResult struct {
	Count        int
	Records      []Record
	NextPosition int
	// ResultSetID names the result set when the target keeps it; continue it with the
	// query cql.resultSetId="id".
	ResultSetID string
}

// xml shapes, namespace-agnostic (SRU 1.x and 2.0 share local names).
type xmlDiag struct {
	URI     string `xml:"uri"`
	Details string `xml:"details"`
	Message string `xml:"message"`
}

type xmlRecordData struct {
	Inner []byte `xml:",innerxml"`
}

type xmlSearch struct {
	XMLName         xml.Name
	NumberOfRecords int    `xml:"numberOfRecords"`
	ResultSetID     string `xml:"resultSetId"`
	Records         []struct {
		Schema   string        `xml:"recordSchema"`
		Packing  string        `xml:"recordPacking"`
		Escaping string        `xml:"recordXMLEscaping"`
		Data     xmlRecordData `xml:"recordData"`
		Position int           `xml:"recordPosition"`
	} `xml:"records>record"`
	NextRecordPosition int       `xml:"nextRecordPosition"`
	Diagnostics        []xmlDiag `xml:"diagnostics>diagnostic"`
}

type xmlScan struct {
	Terms []struct {
		Value string `xml:"value"`
		Count int    `xml:"numberOfRecords"`
	} `xml:"terms>term"`
	Diagnostics []xmlDiag `xml:"diagnostics>diagnostic"`
}

func (c *Client) get(ctx context.Context, params url.Values, into any) error {
	if c.Version == "" {
		params.Set("version", "1.2")
	} else {
		params.Set("version", c.Version)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.BaseURL+"?"+params.Encode(), nil)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrConnect, err)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		var ne net.Error
		var oe *net.OpError
		switch {
		case ctx.Err() != nil || (errors.As(err, &ne) && ne.Timeout()):
			return fmt.Errorf("%w: %v", ErrTimeout, err)
		case errors.As(err, &oe) && oe.Op == "dial":
			return fmt.Errorf("%w: %v", ErrConnect, err)
		}
		return fmt.Errorf("%w: %v", ErrConnectionLost, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: HTTP %s", ErrBadResponse, resp.Status)
	}
	limit := c.MaxResponse
	if limit <= 0 {
		limit = 16 << 20
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%w: %v", ErrTimeout, err)
		}
		return fmt.Errorf("%w: %v", ErrConnectionLost, err)
	}
	if int64(len(body)) > limit {
		return fmt.Errorf("%w: response larger than %d bytes", ErrBadResponse, limit)
	}
	if raw, ok := into.(*rawBody); ok {
		*raw = body
		return nil
	}
	if err := xml.Unmarshal(body, into); err != nil {
		return fmt.Errorf("%w: %v", ErrBadResponse, err)
	}
	return nil
}

func firstDiag(ds []xmlDiag) error {
	if len(ds) == 0 {
		return nil
	}
	return &Diagnostic{URI: ds[0].URI, Details: ds[0].Details, Message: ds[0].Message}
}

// SearchRetrieve runs a CQL query and returns up to max records from start (1-based) in
// schema ("" means the target's default). A fatal diagnostic is returned as *Diagnostic
// with whatever the response carried.
func (c *Client) SearchRetrieve(ctx context.Context, query string, start, max int, schema string) (*SearchResult, error) {
	p := url.Values{"operation": {OpSearchRetrieve}, "query": {query}, "startRecord": {strconv.Itoa(start)},
		"maximumRecords": {strconv.Itoa(max)}}
	if schema != "" {
		p.Set("recordSchema", schema)
	}
	var body rawBody
	if err := c.get(ctx, p, &body); err != nil {
		return nil, err
	}
	return decodeSearch(body)
}

// rawBody receives a response body undecoded.
type rawBody []byte

// decodeSearch decodes a searchRetrieve response (any SRU version). The body size is already
// bounded by Client.MaxResponse; encoding/xml reads it without recursion.
func decodeSearch(body []byte) (*SearchResult, error) {
	var x xmlSearch
	if err := xml.Unmarshal(body, &x); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadResponse, err)
	}
	if x.XMLName.Local != "searchRetrieveResponse" {
		return nil, fmt.Errorf("%w: <%s> to searchRetrieve", ErrBadResponse, x.XMLName.Local)
	}
	res := &SearchResult{Count: x.NumberOfRecords, NextPosition: x.NextRecordPosition, ResultSetID: x.ResultSetID}
	for _, r := range x.Records {
		rec := Record{Schema: r.Schema, Position: r.Position, Data: r.Data.Inner}
		if r.Packing == "string" || r.Escaping == "string" {
			var s string
			if err := xml.Unmarshal([]byte("<x>"+string(r.Data.Inner)+"</x>"), &s); err == nil {
				rec.Data = []byte(s)
			}
		}
		if r.Schema == SchemaDiagnostics || strings.HasPrefix(r.Schema, "info:srw/schema/1/diagnostics") {
			var d xmlDiag
			if err := xml.Unmarshal(rec.Data, &d); err == nil {
				rec.Diagnostic = &Diagnostic{URI: d.URI, Details: d.Details, Message: d.Message}
			}
		}
		res.Records = append(res.Records, rec)
	}
	return res, firstDiag(x.Diagnostics)
}

// Term is one scan term with its record count.
type Term struct {
	Value string
	Count int
}

// Scan lists up to n index terms from the term of a CQL scan clause, placed at position.
func (c *Client) Scan(ctx context.Context, clause string, n, position int) ([]Term, error) {
	p := url.Values{"operation": {OpScan}, "scanClause": {clause}, "maximumTerms": {strconv.Itoa(n)},
		"responsePosition": {strconv.Itoa(position)}}
	var x xmlScan
	if err := c.get(ctx, p, &x); err != nil {
		return nil, err
	}
	out := make([]Term, 0, len(x.Terms))
	for _, t := range x.Terms {
		out = append(out, Term{t.Value, t.Count})
	}
	return out, firstDiag(x.Diagnostics)
}

// Explain returns the target's explain record (ZeeRex XML).
func (c *Client) Explain(ctx context.Context) ([]byte, error) {
	var x struct {
		Record struct {
			Data xmlRecordData `xml:"recordData"`
		} `xml:"record"`
		Diagnostics []xmlDiag `xml:"diagnostics>diagnostic"`
	}
	if err := c.get(ctx, url.Values{"operation": {OpExplain}}, &x); err != nil {
		return nil, err
	}
	return x.Record.Data.Inner, firstDiag(x.Diagnostics)
}
