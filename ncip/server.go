package ncip

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"time"
)

// Server answers NCIP messages POSTed over HTTP (NCIP 2.02 Part 2, the
// Implementation Profile 1 HTTP binding): one endpoint for every service,
// the service named by the XML body. Protocol and processing errors are
// answered with HTTP 200 and a Problem; transport errors (wrong method,
// content type or size) with a 4xx status and a Problem body. Every body the
// Server writes is schema-valid NCIP 2.02.
//
// A Server is an http.Handler; mount it at /ncip. Its fields may not change
// once it serves requests.
type Server struct {
	// Handler answers the requests. Required.
	Handler Handler
	// Auth authenticates the partner agency of each request. nil means no
	// authentication: every request reaches the Handler.
	Auth Authenticator
	// MaxBodyBytes caps the request body: 0 means 100 KiB.
	MaxBodyBytes int
	// MaxDepth caps element nesting: 0 means 64.
	MaxDepth int
	// MaxElements caps the number of elements: 0 means 10,000.
	MaxElements int
	// Timeout bounds each Handler call: 0 means 30s.
	Timeout time.Duration
	// Version is written in responses to requests without a version
	// attribute: "" means Version202. Otherwise the request's is echoed.
	Version string
	// Logger receives handler failures (never message bodies or secrets):
	// nil means slog.Default().
	Logger *slog.Logger
}

// NewServer returns a Server for h with the default limits.
func NewServer(h Handler) *Server { return &Server{Handler: h} }

func (s *Server) limits() Limits {
	return Limits{MaxBytes: s.MaxBodyBytes, MaxDepth: s.MaxDepth, MaxElements: s.MaxElements}.withDefaults()
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// ServeHTTP decodes one NCIP message, authenticates it, calls the Handler
// and writes the response.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.writeMessage(w, http.StatusMethodNotAllowed, &Message{Problems: []Problem{*NewProblem(ProblemProtocolError, "NCIP messages are sent with HTTP POST")}})
		return
	}
	lim := s.limits()
	data, status, err := readBody(r, lim.MaxBytes)
	if err != nil {
		s.writeMessage(w, status, &Message{Problems: []Problem{*err}})
		return
	}
	m, derr := Decode(data, lim)
	if derr != nil {
		version := ""
		if m != nil {
			version = m.Version
		}
		p, ok := derr.(*Problem)
		if !ok {
			p = syntaxProblem("malformed message")
		}
		s.writeMessage(w, http.StatusOK, &Message{Version: s.version(version), Problems: []Problem{*p}})
		return
	}
	req, ok := m.Body.(Request)
	if !ok {
		p := NewProblem(ProblemUnsupportedService, "a responder answers requests, not responses or problems")
		if m.Body != nil {
			p.Element = m.Body.ServiceName()
		}
		s.writeMessage(w, http.StatusOK, &Message{Version: s.version(m.Version), Problems: []Problem{*p}})
		return
	}
	resp, checked, p := s.serve(r, req)
	if p != nil {
		s.writeMessage(w, http.StatusOK, &Message{Version: s.version(m.Version), Problems: []Problem{*p}})
		return
	}
	s.write(w, http.StatusOK, &Message{Version: s.version(m.Version), Body: resp}, checked)
}

// serve authenticates req and calls the Handler. It returns a response of
// req's service, or a message-level Unsupported Service problem when the
// Handler lacks the service (as NCIP responders answer it). checked says the
// response has been through strict already and needs no second check.
func (s *Server) serve(r *http.Request, req Request) (resp Body, checked bool, p *Problem) {
	ih := initiationHeader(req)
	reply := func(resp Response, p *Problem) Body {
		if p != nil {
			resp = req.response()
			setField(resp, problemField, []Problem{*p})
		}
		if ih.From() != "" && ih.To() != "" {
			setField(resp, headerField, &ResponseHeader{FromAgencyID: ih.ToAgencyID, ToAgencyID: ih.FromAgencyID})
		} else {
			setField(resp, headerField, (*ResponseHeader)(nil))
		}
		return resp
	}
	ctx := r.Context()
	if s.Auth != nil {
		agency, err := s.Auth.Authenticate(ctx, &AuthInput{Service: req.ServiceName(), Header: ih, TLS: r.TLS})
		if err != nil {
			p, ok := err.(*Problem)
			if !ok {
				p = authFailed("the partner agency could not be authenticated")
			}
			return reply(nil, p), false, nil
		}
		ctx = WithAgency(ctx, agency)
	}
	if ih != nil {
		// The Handler never sees the shared secret, so it cannot log it.
		ih.FromAgencyAuthentication = ""
		ih.FromSystemAuthentication = ""
	}
	if err := missing(req); err != nil {
		element := strings.TrimSuffix(strings.TrimPrefix(err.Error(), "ncip: "), " is required")
		return reply(nil, NewProblem(ProblemNeededDataMissing, element+" is missing").WithElement(element, "")), false, nil
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hresp, err := s.call(ctx, req)
	switch {
	case errors.Is(err, errUnsupported):
		return nil, false, NewProblem(ProblemUnsupportedService, req.ServiceName()+" is not supported by this responder").WithElement(req.ServiceName(), "")
	case errors.As(err, &p):
	case err != nil:
		s.logger().Error("ncip: handler failed", "service", req.ServiceName(), "from", ih.From(), "to", ih.To(), "err", err)
		p = NewProblem(ProblemTemporaryProcessingFailure, "the request could not be processed; try again later")
	}
	if p != nil {
		return reply(nil, p), false, nil
	}
	out, err := strict(reply(hresp, nil))
	if err != nil {
		s.logger().Error("ncip: handler response is not valid NCIP", "service", req.ServiceName(), "err", err)
		return reply(nil, NewProblem(ProblemTemporaryProcessingFailure, "the responder built an invalid response")), false, nil
	}
	return out, true, nil
}

// call runs the Handler, turning a panic into an error.
func (s *Server) call(ctx context.Context, req Request) (resp Response, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("ncip: handler panic: %v", v)
		}
	}()
	return dispatch(ctx, s.Handler, req)
}

func (s *Server) version(v string) string {
	if v != "" {
		return v
	}
	if s.Version != "" {
		return s.Version
	}
	return Version202
}

// writeMessage encodes m; should that fail, it answers a message-level
// Temporary Processing Failure, which always encodes.
func (s *Server) writeMessage(w http.ResponseWriter, status int, m *Message) {
	s.write(w, status, m, false)
}

// write is writeMessage; checked says m.Body has been through strict.
func (s *Server) write(w http.ResponseWriter, status int, m *Message, checked bool) {
	eb, err := encodeBuf(m, EncodeOptions{}, checked)
	if err != nil {
		s.logger().Error("ncip: cannot encode response", "err", err)
		eb, _ = encodeBuf(&Message{Problems: []Problem{*NewProblem(ProblemTemporaryProcessingFailure, "the responder could not encode its response")}}, EncodeOptions{}, false)
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(eb.b.Bytes())
	eb.release()
}

// readBody returns the NCIP document of r: the body for application/xml,
// text/xml or no content type, the "xml" form field for form-encoded bodies
// (older clients, reference/ncip-ill.md §1.7). It reads at most max+1 bytes.
func readBody(r *http.Request, max int) ([]byte, int, *Problem) {
	form := false
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		switch {
		case err != nil:
			return nil, http.StatusUnsupportedMediaType, NewProblem(ProblemProtocolError, "malformed Content-Type")
		case mt == "application/xml" || mt == "text/xml":
		case mt == "application/x-www-form-urlencoded":
			form = true
		default:
			return nil, http.StatusUnsupportedMediaType, NewProblem(ProblemProtocolError, "Content-Type must be application/xml or text/xml")
		}
	}
	if r.ContentLength > int64(max) {
		return nil, http.StatusRequestEntityTooLarge, syntaxProblem("message is larger than %d bytes", max)
	}
	data, err := readAll(io.LimitReader(r.Body, int64(max)+1), r.ContentLength)
	if err != nil {
		return nil, http.StatusBadRequest, syntaxProblem("cannot read the request body")
	}
	if len(data) > max {
		return nil, http.StatusRequestEntityTooLarge, syntaxProblem("message is larger than %d bytes", max)
	}
	if form {
		v, err := url.ParseQuery(string(data))
		if err != nil || v.Get("xml") == "" {
			return nil, http.StatusOK, syntaxProblem("form-encoded request without an xml field")
		}
		data = []byte(v.Get("xml"))
	}
	return data, http.StatusOK, nil
}

// readAll is io.ReadAll starting from a buffer of the announced length (when
// there is one, already checked against the limit), so that a body is read
// into one allocation instead of growing from 512 bytes.
func readAll(r io.Reader, length int64) ([]byte, error) {
	size := 512
	if length > 0 {
		size = int(length) + 1 // room to read the end of the body
	}
	b := make([]byte, 0, size)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// initiationHeader returns the InitiationHeader of a request.
func initiationHeader(req Request) *InitiationHeader {
	f := reflect.ValueOf(req).Elem().FieldByName(headerField)
	if !f.IsValid() {
		return nil
	}
	h, _ := f.Interface().(*InitiationHeader)
	return h
}

// setField sets the named field of a response struct.
func setField(resp Response, name string, value any) {
	f := reflect.ValueOf(resp).Elem().FieldByName(name)
	if f.IsValid() {
		f.Set(reflect.ValueOf(value))
	}
}
