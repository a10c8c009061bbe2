package z3950

import "sort"

//go:generate go run ./gen

type bib1Diag struct {
	code int
	text string
	sru  int
}

type bib1Attr struct {
	typ, value int
	name       string
}

func findDiag(code int) *bib1Diag {
	i := sort.Search(len(bib1Diagnostics), func(i int) bool { return bib1Diagnostics[i].code >= code })
	if i < len(bib1Diagnostics) && bib1Diagnostics[i].code == code {
		return &bib1Diagnostics[i]
	}
	return nil
}

// Bib1DiagnosticText returns the meaning of a Bib-1 diagnostic code (Z39.50-2003 Appendix 3),
// or "" for an unknown code.
func Bib1DiagnosticText(code int) string {
	if d := findDiag(code); d != nil {
		return d.text
	}
	return ""
}

// Bib1ToSRU maps a Bib-1 diagnostic to the SRU diagnostic (info:srw/diagnostic/1/N) that
// means the same; codes without an equivalent map to 1 (general system error).
func Bib1ToSRU(code int) int {
	if d := findDiag(code); d != nil && d.sru != 0 {
		return d.sru
	}
	return 1
}

// Bib1AttributeName returns the name of a Bib-1 attribute value (e.g. 1, 4 -> "Title"), or "".
func Bib1AttributeName(typ, value int) string {
	i := sort.Search(len(bib1Attributes), func(i int) bool {
		a := bib1Attributes[i]
		return a.typ > typ || (a.typ == typ && a.value >= value)
	})
	if i < len(bib1Attributes) && bib1Attributes[i].typ == typ && bib1Attributes[i].value == value {
		return bib1Attributes[i].name
	}
	return ""
}
