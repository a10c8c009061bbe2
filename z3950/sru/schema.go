package sru

import (
	"bytes"
	"encoding/xml"
	"html"
	"strings"
)

// Record schema identifiers (SRU schemas list, info:srw/schema/1/...).
const (
	SchemaMARCXML     = "info:srw/schema/1/marcxml-v1.1"
	SchemaDC          = "info:srw/schema/1/dc-v1.1"
	SchemaMODS        = "info:srw/schema/1/mods-v3.6"
	SchemaDiagnostics = "info:srw/schema/1/diagnostics-v1.1"
)

// schemaFor resolves a recordSchema parameter (short name or URI) to a canonical schema URI;
// "" means unknown. An empty parameter means MARCXML.
func schemaFor(p string) string {
	switch strings.ToLower(p) {
	case "", "marcxml", "marc21", "marcxml-1.1", strings.ToLower(SchemaMARCXML), "info:srw/schema/1/marcxml-1.1", "http://www.loc.gov/marc21/slim":
		return SchemaMARCXML
	case "dc", strings.ToLower(SchemaDC), "info:srw/schema/1/dc-schema", "http://purl.org/dc/elements/1.1/":
		return SchemaDC
	case "mods", strings.ToLower(SchemaMODS), "info:srw/schema/1/mods-v3.5", "info:srw/schema/1/mods-v3.4", "http://www.loc.gov/mods/v3":
		return SchemaMODS
	}
	return ""
}

// marcRecord is a MARCXML record, read only to derive DC and MODS.
type marcRecord struct {
	Leader   string `xml:"leader"`
	Controls []struct {
		Tag   string `xml:"tag,attr"`
		Value string `xml:",chardata"`
	} `xml:"controlfield"`
	Fields []struct {
		Tag  string `xml:"tag,attr"`
		Subs []struct {
			Code  string `xml:"code,attr"`
			Value string `xml:",chardata"`
		} `xml:"subfield"`
	} `xml:"datafield"`
}

func (m *marcRecord) values(tag, codes string) []string {
	var out []string
	for _, f := range m.Fields {
		if f.Tag != tag {
			continue
		}
		var parts []string
		for _, s := range f.Subs {
			if strings.Contains(codes, s.Code) {
				parts = append(parts, strings.TrimSpace(s.Value))
			}
		}
		if len(parts) > 0 {
			out = append(out, strings.TrimRight(strings.Join(parts, " "), " /:;,."))
		}
	}
	return out
}

// convert turns a MARCXML record into the requested schema. It fails (a surrogate
// diagnostic 63 for the caller) when the record is not MARCXML.
func convert(marcxml []byte, schema string) ([]byte, bool) {
	if schema == SchemaMARCXML {
		return bytes.TrimSpace(marcxml), true
	}
	var m marcRecord
	if err := xml.Unmarshal(marcxml, &m); err != nil {
		return nil, false
	}
	var b strings.Builder
	el := func(name string, vals []string) {
		for _, v := range vals {
			b.WriteString("<" + name + ">" + html.EscapeString(v) + "</" + name + ">")
		}
	}
	title := m.values("245", "abnp")
	names := append(append(m.values("100", "abcd"), m.values("110", "ab")...), m.values("700", "abcd")...)
	subjects := append(m.values("650", "axyz"), m.values("600", "abcdxyz")...)
	publisher := m.values("260", "b")
	date := m.values("260", "c")
	isbn := m.values("020", "a")
	switch schema {
	case SchemaDC:
		b.WriteString(`<srw_dc:dc xmlns:srw_dc="info:srw/schema/1/dc-schema" xmlns:dc="http://purl.org/dc/elements/1.1/">`)
		el("dc:title", title)
		el("dc:creator", names)
		el("dc:subject", subjects)
		el("dc:publisher", publisher)
		el("dc:date", date)
		for _, i := range isbn {
			el("dc:identifier", []string{"URN:ISBN:" + strings.Fields(i + " ")[0]})
		}
		b.WriteString("</srw_dc:dc>")
	case SchemaMODS:
		b.WriteString(`<mods xmlns="http://www.loc.gov/mods/v3" version="3.6">`)
		for _, t := range title {
			b.WriteString("<titleInfo><title>" + html.EscapeString(t) + "</title></titleInfo>")
		}
		for _, n := range names {
			b.WriteString("<name><namePart>" + html.EscapeString(n) + "</namePart></name>")
		}
		if len(publisher)+len(date) > 0 {
			b.WriteString("<originInfo>")
			el("publisher", publisher)
			el("dateIssued", date)
			b.WriteString("</originInfo>")
		}
		for _, s := range subjects {
			b.WriteString("<subject><topic>" + html.EscapeString(s) + "</topic></subject>")
		}
		for _, i := range isbn {
			b.WriteString(`<identifier type="isbn">` + html.EscapeString(strings.Fields(i + " ")[0]) + "</identifier>")
		}
		b.WriteString("</mods>")
	default:
		return nil, false
	}
	return []byte(b.String()), true
}
