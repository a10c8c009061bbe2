// Package sru implements SRU 1.1, 1.2 and 2.0 (LoC SRU 1.2 specification; OASIS
// searchRetrieve 1.0 for 2.0): an HTTP server over the same z3950.Backend as the Z39.50
// server, and a client. Records are served as MARCXML, Dublin Core or MODS.
package sru

import (
	"net/url"
	"strconv"
	"strings"
)

// Operation names.
const (
	OpSearchRetrieve = "searchRetrieve"
	OpExplain        = "explain"
	OpScan           = "scan"
)

// Request is a parsed SRU request (SRU 1.2 §"Parameters"; searchRetrieve 1.0 Part 3 §4).
type Request struct {
	Operation       string
	Version         string // "1.1", "1.2" or "2.0"
	Database        string
	Query           string
	QueryType       string // "cql" (default) or "pqf"
	StartRecord     int    // 1-based
	MaximumRecords  int    // -1: absent
	RecordSchema    string
	RecordPacking   string // xml or string (1.x recordPacking, 2.0 recordXMLEscaping)
	SortKeys        string
	ScanClause      string
	ResponsePos     int
	MaximumTerms    int
	StylesheetGiven bool

	resultSetID  string // set by the server when it keeps the result set
	resultSetTTL int    // seconds
}

// RequestError is a request the server refuses with an SRU diagnostic.
type RequestError struct {
	Code    int
	Details string
}

func (e *RequestError) Error() string {
	return "sru: diagnostic " + strconv.Itoa(e.Code) + ": " + e.Details
}

// Limits on request parameters.
const (
	MaxQueryLength  = 64 << 10
	MaxMaxRecords   = 1000
	MaxMaximumTerms = 1000
)

// ParseRequest reads an SRU request from URL parameters (GET, or a POSTed form) and the
// database named by the path. It never panics; bad values are *RequestError with the SRU
// diagnostic (5 unsupported version, 6 unsupported parameter value, 7 mandatory parameter
// missing, 4 unsupported operation).
func ParseRequest(v url.Values, database string) (*Request, error) {
	r := &Request{Database: database, StartRecord: 1, MaximumRecords: -1, ResponsePos: 1, MaximumTerms: 20}
	r.Operation = v.Get("operation")
	r.Version = v.Get("version")
	r.Query = v.Get("query")
	if r.Query == "" && v.Get("x-pquery") != "" {
		r.Query, r.QueryType = v.Get("x-pquery"), "pqf"
	}
	if qt := v.Get("queryType"); qt != "" {
		r.QueryType = strings.ToLower(qt)
	}
	if r.QueryType == "" {
		r.QueryType = "cql"
	}
	if r.QueryType != "cql" && r.QueryType != "pqf" {
		return r, &RequestError{Code: 6, Details: "queryType"}
	}
	if r.Operation == "" {
		if r.Query != "" {
			r.Operation = OpSearchRetrieve
		} else {
			r.Operation = OpExplain
		}
	}
	switch r.Version {
	case "":
		r.Version = "2.0" // YAZ GFS answers 2.0 when the request names no version
	case "1.1", "1.2", "2.0":
	default:
		return r, &RequestError{Code: 5, Details: "2.0"}
	}
	if len(r.Query) > MaxQueryLength || len(v.Get("scanClause")) > MaxQueryLength {
		return r, &RequestError{Code: 6, Details: "query too long"}
	}
	var err error
	if r.StartRecord, err = intParam(v, "startRecord", 1, 1, 1<<31-1); err != nil {
		return r, err
	}
	if r.MaximumRecords, err = intParam(v, "maximumRecords", -1, 0, 1<<31-1); err != nil {
		return r, err
	}
	if r.ResponsePos, err = intParam(v, "responsePosition", 1, 0, MaxMaximumTerms+1); err != nil {
		return r, err
	}
	if r.MaximumTerms, err = intParam(v, "maximumTerms", 20, 1, 1<<31-1); err != nil {
		return r, err
	}
	r.MaximumTerms = min(r.MaximumTerms, MaxMaximumTerms)
	r.RecordSchema = v.Get("recordSchema")
	r.RecordPacking = v.Get("recordPacking")
	if r.Version == "2.0" {
		r.RecordPacking = v.Get("recordXMLEscaping")
	}
	if r.RecordPacking == "" {
		r.RecordPacking = "xml"
	}
	if r.RecordPacking != "xml" && r.RecordPacking != "string" {
		return r, &RequestError{Code: 71, Details: r.RecordPacking}
	}
	r.SortKeys = v.Get("sortKeys")
	r.ScanClause = v.Get("scanClause")
	r.StylesheetGiven = v.Get("stylesheet") != ""
	switch r.Operation {
	case OpSearchRetrieve:
		if r.Query == "" {
			return r, &RequestError{Code: 7, Details: "query"}
		}
	case OpScan:
		if r.ScanClause == "" {
			return r, &RequestError{Code: 7, Details: "scanClause"}
		}
	case OpExplain:
	default:
		return r, &RequestError{Code: 4, Details: r.Operation}
	}
	return r, nil
}

func intParam(v url.Values, name string, def, lo, hi int) (int, error) {
	s := v.Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, &RequestError{Code: 6, Details: name}
	}
	return n, nil
}
