package ncip

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"time"
)

// Client sends NCIP requests to one responder over HTTP (NCIP 2.02 Part 2,
// the HTTP binding of Implementation Profile 1). It writes schema-valid
// messages, fills in the InitiationHeader from its fields, and reads
// responses with the lenient decoder.
//
// Every call returns either the response or an error. A *Problem error means
// the responder answered with a Problem (the response, when it was a service
// response, is returned beside it); any other error is a transport or
// protocol failure, the kind a circuit breaker should count. A Client is safe
// for concurrent use; its fields may not change once calls are made.
type Client struct {
	// URL is the responder's endpoint, such as https://ils.example.org/ncip.
	URL string
	// HTTPClient sends the requests: nil means http.DefaultClient (the
	// per-call deadline still applies).
	HTTPClient *http.Client
	// FromAgency and ToAgency fill InitiationHeader/FromAgencyId and
	// ToAgencyId when a request does not set them.
	FromAgency, ToAgency string
	// Secret fills InitiationHeader/FromAgencyAuthentication when a request
	// does not set it. It is never logged or shown in errors.
	Secret string
	// ApplicationProfileType fills InitiationHeader/ApplicationProfileType
	// when a request does not set it (Alma's "Partner Code").
	ApplicationProfileType string
	// Version is the version URI to send: "" means Version202.
	Version string
	// Timeout bounds each call when ctx has no earlier deadline: 0 means 30s
	// (reference/reliability-security.md: mod-ncip learnt 3s is too short).
	Timeout time.Duration
	// MaxResponseBytes caps a response body: 0 means 1 MiB.
	MaxResponseBytes int
	// Quirks adapt the output to responders that do not follow the schema.
	Quirks Quirks
}

// Quirks are per-ILS deviations from strict NCIP 2.02 output
// (reference/ncip-ill.md §1.8).
type Quirks struct {
	// UnqualifiedVersion writes version="…" instead of ncip:version="…"
	// (responders that read only the unqualified attribute).
	UnqualifiedVersion bool
	// TextXML sends Content-Type text/xml instead of application/xml (Koha).
	TextXML bool
}

// HTTPError is returned when a responder answers with an HTTP error status
// and a body that is not an NCIP message.
type HTTPError struct {
	StatusCode int
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("ncip: responder answered HTTP %d without an NCIP message", e.StatusCode)
}

// ErrUnexpectedResponse is returned (wrapped) when a responder answers with
// a different service's response.
var ErrUnexpectedResponse = errors.New("ncip: unexpected response")

// ErrIncompleteResponse is returned (wrapped), beside the response, when a
// responder answers without an element the schema requires and a caller
// would dereference, such as LookupUserResponse/UserId. Missing choices
// (a CheckOutItemResponse without DateDue) are tolerated, as real
// responders send them (reference/ncip-ill.md §1.4).
var ErrIncompleteResponse = errors.New("ncip: incomplete response")

// do sends req and decodes a response of type Resp.
func do[Resp Response](ctx context.Context, c *Client, req Request) (Resp, error) {
	var zero Resp
	out, err := c.encode(req)
	if err != nil {
		return zero, err
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(out))
	if err != nil {
		return zero, fmt.Errorf("ncip: %s: %w", req.ServiceName(), err)
	}
	ct := "application/xml; charset=utf-8"
	if c.Quirks.TextXML {
		ct = "text/xml; charset=utf-8"
	}
	hr.Header.Set("Content-Type", ct)
	hr.Header.Set("Accept", "application/xml, text/xml")
	hc := c.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(hr)
	if err != nil {
		return zero, fmt.Errorf("ncip: %s: %w", req.ServiceName(), err)
	}
	defer resp.Body.Close()
	max := c.MaxResponseBytes
	if max <= 0 {
		max = 1 << 20
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, int64(max)+1))
	if err != nil {
		return zero, fmt.Errorf("ncip: %s: reading the response: %w", req.ServiceName(), err)
	}
	if len(data) > max {
		return zero, fmt.Errorf("ncip: %s: response larger than %d bytes", req.ServiceName(), max)
	}
	m, derr := Decode(data, Limits{MaxBytes: max, MaxDepth: DefaultMaxDepth, MaxElements: 10 * DefaultMaxElements})
	if derr != nil {
		if resp.StatusCode >= 400 {
			return zero, &HTTPError{StatusCode: resp.StatusCode}
		}
		return zero, fmt.Errorf("ncip: %s: unreadable response: %w", req.ServiceName(), derr)
	}
	if len(m.Problems) > 0 {
		p := m.Problems[0]
		return zero, &p
	}
	r, ok := m.Body.(Resp)
	if !ok {
		return zero, fmt.Errorf("%w: sent %s, got %s", ErrUnexpectedResponse, req.ServiceName(), m.Body.ServiceName())
	}
	if ps := reflect.ValueOf(r).Elem().FieldByName(problemField); ps.Len() > 0 {
		p := ps.Index(0).Interface().(Problem)
		return r, &p
	}
	if resp.StatusCode >= 400 {
		return zero, &HTTPError{StatusCode: resp.StatusCode}
	}
	if err := check(reflect.ValueOf(r), r.ServiceName(), false); err != nil {
		return r, fmt.Errorf("%w: %s", ErrIncompleteResponse, strings.TrimPrefix(err.Error(), "ncip: "))
	}
	return r, nil
}

// encode fills in a copy of req's InitiationHeader and encodes it strictly;
// req itself is not modified.
func (c *Client) encode(req Request) ([]byte, error) {
	v := reflect.ValueOf(req)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return nil, errors.New("ncip: nil request")
	}
	cp := reflect.New(v.Elem().Type())
	cp.Elem().Set(v.Elem())
	hf := cp.Elem().FieldByName(headerField)
	h := &InitiationHeader{}
	if old, _ := hf.Interface().(*InitiationHeader); old != nil {
		*h = *old
	}
	if h.From() == "" && c.FromAgency != "" {
		h.FromAgencyID = Agency(c.FromAgency)
	}
	if h.To() == "" && c.ToAgency != "" {
		h.ToAgencyID = Agency(c.ToAgency)
	}
	if h.FromAgencyAuthentication == "" {
		h.FromAgencyAuthentication = c.Secret
	}
	if h.ApplicationProfileType.IsZero() && c.ApplicationProfileType != "" {
		h.ApplicationProfileType = SV(c.ApplicationProfileType)
	}
	if h.From() != "" || h.To() != "" {
		hf.Set(reflect.ValueOf(h))
	}
	return Encode(&Message{Version: c.Version, Body: cp.Interface().(Body)}, EncodeOptions{UnqualifiedVersion: c.Quirks.UnqualifiedVersion})
}
