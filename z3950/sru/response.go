package sru

import (
	"html"
	"strconv"
	"strings"

	"github.com/illgw/illgw/z3950"
	"github.com/illgw/illgw/z3950/cql"
)

// Namespaces (SRU 1.2 XML schemas; OASIS searchRetrieve 1.0 Part 3 for 2.0).
const (
	nsSRU1      = "http://www.loc.gov/zing/srw/"
	nsDiag1     = "http://www.loc.gov/zing/srw/diagnostic/"
	nsSRU2      = "http://docs.oasis-open.org/ns/search-ws/sruResponse"
	nsDiag2     = "http://docs.oasis-open.org/ns/search-ws/diagnostic"
	nsScan2     = "http://docs.oasis-open.org/ns/search-ws/scan"
	nsZeeRex    = "http://explain.z3950.org/dtd/2.0/"
	diagURIBase = "info:srw/diagnostic/1/"
)

type diag struct {
	code    int
	details string
}

type record struct {
	position int
	schema   string
	data     []byte
	diag     *diag
}

// writer builds one response document as text, so namespaces and element order are exactly
// as SRU clients (YAZ, ZOOM) expect.
type writer struct {
	b       strings.Builder
	version string
}

func newWriter(version string) *writer {
	if version == "" {
		version = "2.0"
	}
	w := &writer{version: version}
	w.b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	return w
}

func (w *writer) String() string { return w.b.String() }

func (w *writer) v2() bool { return w.version == "2.0" }

func (w *writer) el(name, value string) {
	w.b.WriteString("<zs:" + name + ">" + html.EscapeString(value) + "</zs:" + name + ">")
}

func (w *writer) open(root string) {
	ns := nsSRU1
	if w.v2() {
		ns = nsSRU2
		if root == "scanResponse" {
			ns = nsScan2
		}
	}
	w.b.WriteString(`<zs:` + root + ` xmlns:zs="` + ns + `">`)
	if !w.v2() {
		w.el("version", w.version)
	}
}

func (w *writer) diagnostics(ds []diag) {
	if len(ds) == 0 {
		return
	}
	ns := nsDiag1
	if w.v2() {
		ns = nsDiag2
	}
	w.b.WriteString(`<zs:diagnostics xmlns:diag="` + ns + `">`)
	for _, d := range ds {
		w.b.WriteString("<diag:diagnostic><diag:uri>" + diagURIBase + strconv.Itoa(d.code) + "</diag:uri>")
		if d.details != "" {
			w.b.WriteString("<diag:details>" + html.EscapeString(d.details) + "</diag:details>")
		}
		if msg := diagMessage(d.code); msg != "" {
			w.b.WriteString("<diag:message>" + html.EscapeString(msg) + "</diag:message>")
		}
		w.b.WriteString("</diag:diagnostic>")
	}
	w.b.WriteString("</zs:diagnostics>")
}

// fatal writes a response of the requested operation that holds only a diagnostic.
func (w *writer) fatal(req *Request, code int, details string) {
	switch req.Operation {
	case OpScan:
		w.open("scanResponse")
		w.diagnostics([]diag{{code, details}})
		w.b.WriteString("</zs:scanResponse>")
	case OpExplain:
		w.open("explainResponse")
		w.diagnostics([]diag{{code, details}})
		w.b.WriteString("</zs:explainResponse>")
	default:
		w.searchResponse(req, 0, nil, 0, []diag{{code, details}})
	}
}

func (w *writer) searchResponse(req *Request, count int, recs []record, next int, ds []diag) {
	w.open("searchRetrieveResponse")
	w.el("numberOfRecords", strconv.Itoa(count))
	if req != nil && req.resultSetID != "" {
		w.el("resultSetId", req.resultSetID)
		if w.v2() {
			w.el("resultSetTTL", strconv.Itoa(req.resultSetTTL))
		} else {
			w.el("resultSetIdleTime", strconv.Itoa(req.resultSetTTL))
		}
	}
	if len(recs) > 0 {
		w.b.WriteString("<zs:records>")
		for _, r := range recs {
			w.b.WriteString("<zs:record>")
			data := r.data
			schema := r.schema
			if r.diag != nil {
				schema = SchemaDiagnostics
				ns := nsDiag1
				if w.v2() {
					ns = nsDiag2
				}
				data = []byte(`<diagnostic xmlns="` + ns + `"><uri>` + diagURIBase + strconv.Itoa(r.diag.code) + "</uri>" +
					"<message>" + html.EscapeString(diagMessage(r.diag.code)) + "</message></diagnostic>")
			}
			w.el("recordSchema", schema)
			if w.v2() {
				w.el("recordXMLEscaping", req.RecordPacking)
			} else {
				w.el("recordPacking", req.RecordPacking)
			}
			w.b.WriteString("<zs:recordData>")
			if req.RecordPacking == "string" {
				w.b.WriteString(html.EscapeString(string(data)))
			} else {
				w.b.Write(data)
			}
			w.b.WriteString("</zs:recordData>")
			w.el("recordPosition", strconv.Itoa(r.position))
			w.b.WriteString("</zs:record>")
		}
		w.b.WriteString("</zs:records>")
	}
	if next > 0 {
		w.el("nextRecordPosition", strconv.Itoa(next))
	}
	if !w.v2() && req != nil {
		w.b.WriteString("<zs:echoedSearchRetrieveRequest>")
		w.el("version", w.version)
		w.el("query", req.Query)
		if req.StartRecord != 1 {
			w.el("startRecord", strconv.Itoa(req.StartRecord))
		}
		if req.MaximumRecords >= 0 {
			w.el("maximumRecords", strconv.Itoa(req.MaximumRecords))
		}
		w.el("recordPacking", req.RecordPacking)
		if req.RecordSchema != "" {
			w.el("recordSchema", req.RecordSchema)
		}
		w.b.WriteString("</zs:echoedSearchRetrieveRequest>")
	}
	w.diagnostics(ds)
	w.b.WriteString("</zs:searchRetrieveResponse>")
}

func (w *writer) scanResponse(_ *Request, terms []z3950.ScanTerm) {
	w.open("scanResponse")
	if len(terms) > 0 {
		w.b.WriteString("<zs:terms>")
		for _, t := range terms {
			w.b.WriteString("<zs:term>")
			w.el("value", t.Term)
			w.el("numberOfRecords", strconv.Itoa(t.Occurrences))
			w.b.WriteString("</zs:term>")
		}
		w.b.WriteString("</zs:terms>")
	}
	w.b.WriteString("</zs:scanResponse>")
}

// explainResponse writes a ZeeRex record describing the database, its indexes (from the CQL
// mapping) and its record schemas.
func (w *writer) explainResponse(_ *Request, host, port, db string, m *cql.Mapping) {
	w.open("explainResponse")
	w.b.WriteString("<zs:record>")
	w.el("recordSchema", nsZeeRex)
	if w.v2() {
		w.el("recordXMLEscaping", "xml")
	} else {
		w.el("recordPacking", "xml")
	}
	w.b.WriteString(`<zs:recordData><explain xmlns="` + nsZeeRex + `">`)
	w.b.WriteString(`<serverInfo protocol="SRU" version="` + html.EscapeString(w.version) + `"><host>` + html.EscapeString(host) +
		"</host><port>" + html.EscapeString(port) + "</port><database>" + html.EscapeString(db) + "</database></serverInfo>")
	w.b.WriteString("<databaseInfo><title>" + html.EscapeString(db) + "</title></databaseInfo>")
	w.b.WriteString("<indexInfo>")
	for _, set := range m.Sets() {
		w.b.WriteString(`<set name="` + html.EscapeString(set[0]) + `" identifier="` + html.EscapeString(set[1]) + `"/>`)
	}
	for _, idx := range m.Indexes() {
		set, name, _ := strings.Cut(idx, ".")
		w.b.WriteString(`<index><title>` + html.EscapeString(idx) + `</title><map><name set="` + html.EscapeString(set) + `">` +
			html.EscapeString(name) + "</name></map></index>")
	}
	w.b.WriteString("</indexInfo><schemaInfo>")
	for _, s := range [][2]string{{"marcxml", SchemaMARCXML}, {"dc", SchemaDC}, {"mods", SchemaMODS}} {
		w.b.WriteString(`<schema identifier="` + s[1] + `" name="` + s[0] + `"><title>` + s[0] + "</title></schema>")
	}
	w.b.WriteString("</schemaInfo><configInfo><default type=\"numberOfRecords\">10</default></configInfo></explain></zs:recordData></zs:record>")
	w.b.WriteString("</zs:explainResponse>")
}
