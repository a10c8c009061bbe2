package testenv

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

const sampleMARC = "testdata/sample-marc.mrc"

func TestZebraSearchesByBib1Attributes(t *testing.T) {
	s := Zebra(t, sampleMARC)
	if s.Database != "Default" {
		t.Fatalf("Database = %q", s.Database)
	}
	out := yazClient(t,
		"open "+s.String(),
		`find @attr 1=4 @attr 4=1 "how to program a computer"`, // title phrase: records 11224466 and 11224467
		"find @attr 1=1003 collins",                            // author
		"find @attr 1=7 0839108826",                            // ISBN in 020 $a
		"find @attr 1=1016 tomography",                         // any
		"find @attr 1=4 nosuchwordanywhere",
		"format usmarc",
		"find @attr 1=7 0839108826",
		"show 1+1",
		"close")
	want := []string{"2", "2", "1", "1", "0", "1"}
	if got := hits(out); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("hit counts %v, want %v\n%s", got, want, out)
	}
	if !strings.Contains(out, "Reconstruction tomography in diagnostic radiology") {
		t.Fatalf("record for ISBN 0839108826 not shown\n%s", out)
	}
}

// sruResponse holds the parts of an SRU searchRetrieveResponse the test
// checks (SRU 1.2 §searchRetrieve).
type sruResponse struct {
	NumberOfRecords int      `xml:"numberOfRecords"`
	Records         []string `xml:"records>record>recordData>record>datafield>subfield"`
	Diagnostics     []string `xml:"diagnostics>diagnostic>message"`
}

func TestZebraServesSRU(t *testing.T) {
	s := Zebra(t, sampleMARC)
	q := url.Values{
		"version":        {"1.2"},
		"operation":      {"searchRetrieve"},
		"query":          {`dc.title=computer and dc.creator=collins`},
		"maximumRecords": {"1"},
		"recordSchema":   {"marcxml"},
	}
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(s.SRUURL() + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("SRU status %d\n%s", resp.StatusCode, body)
	}
	var r sruResponse
	if err := xml.Unmarshal(body, &r); err != nil {
		t.Fatalf("SRU response: %v\n%s", err, body)
	}
	if r.NumberOfRecords != 2 || len(r.Diagnostics) != 0 {
		t.Fatalf("numberOfRecords %d diagnostics %v\n%s", r.NumberOfRecords, r.Diagnostics, body)
	}
	if !strings.Contains(string(body), "How to program a computer") {
		t.Fatalf("MARCXML record missing\n%s", body)
	}
}

func TestZebraStopLeavesNoProcess(t *testing.T) {
	s := Zebra(t, sampleMARC)
	pid := s.PID()
	s.Stop(t)
	if pidAlive(pid) {
		t.Fatalf("zebrasrv pid %d alive after Stop", pid)
	}
	if err := z3950Init(s.Addr); err == nil {
		t.Fatal("Z39.50 Init still answered after Stop")
	}
	// Started again on the same port, it serves the same index.
	s.Start(t)
	out := yazClient(t, "open "+s.String(), "find @attr 1=7 0839108826", "close")
	if got := hits(out); len(got) != 1 || got[0] != "1" {
		t.Fatalf("after Start: hit counts %v\n%s", got, out)
	}
}
