package ncip

//go:generate go run ./gen problems.txt zproblems.go

import (
	"strings"
)

// Problem is the NCIP error element (NISO Z39.83-1-2012, data element "Problem";
// ncip_v2_02.xsd Problem), and the one error type of this package: a Handler
// that returns a *Problem gets it in the service's response; a Client returns
// the first Problem a responder sent as a *Problem.
type Problem struct {
	Type    SchemeValue `xml:"ProblemType" ncip:"req"`
	Detail  string      `xml:"ProblemDetail,omitempty"`
	Element string      `xml:"ProblemElement,omitempty"`
	Value   string      `xml:"ProblemValue,omitempty"`
}

// NewProblem returns a Problem of the given Implementation Profile 1 type
// value, with the scheme looked up from the table (the first scheme that
// lists it, general ones first); an unknown value gets no scheme.
func NewProblem(value, detail string) *Problem {
	return &Problem{Type: SchemeValue{Scheme: SchemeOf(value), Value: value}, Detail: detail}
}

// NewServiceProblem returns a Problem whose scheme is the one for service
// (for example "Unknown User" under lookupuserprocessingerror.scm for
// LookupUser), falling back to NewProblem's choice.
func NewServiceProblem(service, value, detail string) *Problem {
	p := NewProblem(value, detail)
	want := strings.ToLower(service) + "processingerror.scm"
	for _, t := range problemTypes {
		if t.Value == value && strings.HasSuffix(t.Scheme, want) {
			p.Type.Scheme = t.Scheme
		}
	}
	return p
}

// WithElement sets the ProblemElement and ProblemValue and returns p.
func (p *Problem) WithElement(element, value string) *Problem {
	p.Element, p.Value = element, value
	return p
}

// Error describes p. It never includes ProblemValue, which may carry a user's identifier.
func (p *Problem) Error() string {
	s := "ncip: problem: " + p.Type.Value
	if p.Detail != "" {
		s += ": " + p.Detail
	}
	if p.Element != "" {
		s += " (" + p.Element + ")"
	}
	return s
}

// Is reports whether target is a *Problem of the same type, compared as Match does.
func (p *Problem) Is(target error) bool {
	t, ok := target.(*Problem)
	return ok && Match(p.Type.Value, t.Type.Value)
}

// SchemeOf returns the Implementation Profile 1 scheme that defines value,
// preferring the messaging and general processing schemes, or "".
func SchemeOf(value string) string {
	for _, t := range problemTypes {
		if t.Value == value {
			return t.Scheme
		}
	}
	return ""
}

// Match reports whether two problem type values are the same once case,
// spaces and punctuation are ignored, as real responders write "UserBlocked"
// or "user blocked" for "User Blocked" (see reference/ncip-ill.md §1.5).
func Match(a, b string) bool { return squash(a) == squash(b) }

// Canonical returns the Implementation Profile 1 spelling of a problem type
// value that Match finds in the table, and false when there is none.
func Canonical(value string) (string, bool) {
	k := squash(value)
	for _, t := range problemTypes {
		if squash(t.Value) == k {
			return t.Value, true
		}
	}
	return "", false
}

// Fold is the form in which Match compares scheme values: lower case,
// letters and digits only ("Barcode Id", "barcodeId" and "BARCODE-ID" all
// fold to "barcodeid"). Partners spell scheme values freely.
func Fold(s string) string { return squash(s) }

func squash(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
