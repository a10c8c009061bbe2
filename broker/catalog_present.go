package broker

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/illgw/illgw/marc"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
	"github.com/illgw/illgw/z3950"
)

// syntax is a record syntax the broker can produce.
type syntax int

const (
	syntaxUSMARC syntax = iota // ISO 2709 MARC21 (1.2.840.10003.5.10)
	syntaxOPAC                 // ISO 2709 plus holdings (1.2.840.10003.5.102)
	syntaxXML                  // MARCXML (1.2.840.10003.5.109.10)
	syntaxSUTRS                // readable text (1.2.840.10003.5.101)
)

var syntaxOIDs = [...]string{
	syntaxUSMARC: z3950.OIDUSMARC.String(),
	syntaxOPAC:   z3950.OIDOPAC.String(),
	syntaxXML:    z3950.OIDXML.String(),
	syntaxSUTRS:  z3950.OIDSUTRS.String(),
}

// parseSyntax reads a record syntax (an OID or a name) and element set
// name. An unknown syntax is Bib-1 239 (record syntax not supported), an
// element set the syntax does not have is Bib-1 25 (specified element set
// name not valid for specified database).
func parseSyntax(name, esn string) (syntax, *illgwv1.Diagnostic) {
	var s syntax
	switch strings.ToLower(name) {
	case "", "usmarc", "marc21", "marc", syntaxOIDs[syntaxUSMARC]:
		s = syntaxUSMARC
	case "opac", syntaxOIDs[syntaxOPAC]:
		s = syntaxOPAC
	case "xml", "marcxml", syntaxOIDs[syntaxXML]:
		s = syntaxXML
	case "sutrs", syntaxOIDs[syntaxSUTRS]:
		s = syntaxSUTRS
	default:
		return 0, &illgwv1.Diagnostic{Code: 239, Message: "record syntax not supported", Addinfo: clip(name)}
	}
	switch e := strings.ToLower(esn); {
	case e == "", e == "f", e == "b":
	case e == "marcxml" && s == syntaxXML:
	default:
		return 0, &illgwv1.Diagnostic{Code: 25, Message: "element set name not valid for this syntax", Addinfo: clip(esn)}
	}
	return s, nil
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64]
	}
	return s
}

// present renders records start..start+count-1 (1-based, cut to the set)
// in the syntax asked. Records are UTF-8 unless charset asks for MARC-8
// (MARC records only; MARCXML and SUTRS are always UTF-8). A record that
// cannot be rendered ends the list with a diagnostic.
func (c *catalog) present(set *resultSet, start, count int64, syn, esn, charset string) ([]*illgwv1.Record, *illgwv1.Diagnostic) {
	s, d := parseSyntax(syn, esn)
	if d != nil {
		return nil, d
	}
	marc8 := false
	switch strings.ToLower(charset) {
	case "marc-8", "marc8":
		marc8 = s == syntaxUSMARC || s == syntaxOPAC
	}
	end := min(start+count-1, int64(len(set.records)))
	out := make([]*illgwv1.Record, 0, max(end-start+1, 0))
	for pos := start; pos <= end; pos++ {
		r := set.records[pos-1]
		data, err := render(r, s, marc8)
		if err != nil {
			return out, &illgwv1.Diagnostic{Code: 14, Message: "system error in presenting records", Addinfo: fmt.Sprint(pos)}
		}
		rec := &illgwv1.Record{Position: pos, Syntax: syntaxOIDs[s], Data: data, Charset: "utf-8", MatchKey: r.key, Holdings: r.holdings}
		if marc8 {
			rec.Charset = "marc-8"
		}
		out = append(out, rec)
	}
	return out, nil
}

func render(r *mergedRecord, s syntax, marc8 bool) ([]byte, error) {
	if (s == syntaxUSMARC || s == syntaxOPAC) && !marc8 {
		return r.iso, nil
	}
	rec, err := r.decode()
	if err != nil {
		return nil, err
	}
	switch s {
	case syntaxXML:
		return marc.MarshalXML(rec), nil
	case syntaxSUTRS:
		var buf bytes.Buffer
		tw := marc.NewTextWriter(&buf)
		if err := tw.Write(rec); err != nil {
			return nil, err
		}
		if err := tw.Close(); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	marc.ToMARC8(rec)
	return marc.Encode(rec)
}
