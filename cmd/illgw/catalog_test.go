package main

import (
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/illgw/illgw/internal/testenv"
)

// TestDemoCatalogWithYAZClients searches the demo's consortium through the
// real binary with YAZ's clients and over SRU: merged hit counts are below
// the members' sum, ISBN 0839108826 is one record held twice, and SRU
// answers well-formed XML with the merged count, on /sru/{database} and on
// the Z39.50 port.
func TestDemoCatalogWithYAZClients(t *testing.T) {
	z := addr(t)
	d := startDemo(t, "-z3950", z)
	yaz := testenv.Require(t, "yaz-client", "yaz")
	script := "open tcp:" + z + "/consortium\nfind @attr 1=4 computer\n" +
		"base NORTH\nfind @attr 1=4 computer\nbase SOUTH\nfind @attr 1=4 computer\nbase EAST\nfind @attr 1=4 computer\n" +
		"base consortium\nfind @attr 1=7 0839108826\nformat opac\nshow 1\nclose\nquit\n"
	out := testenv.RunClient(t, yaz, script, "-f")
	hits := regexp.MustCompile(`Number of hits: (\d+)`).FindAllStringSubmatch(out, -1)
	if len(hits) != 5 {
		t.Fatalf("yaz-client: %d searches answered:\n%s", len(hits), out)
	}
	n := func(i int) int { v, _ := strconv.Atoi(hits[i][1]); return v }
	if merged, sum := n(0), n(1)+n(2)+n(3); merged == 0 || merged >= sum {
		t.Fatalf("consortium %d hits, members %d+%d+%d", merged, n(1), n(2), n(3))
	}
	if n(4) != 1 {
		t.Fatalf("ISBN 0839108826: %d hits:\n%s", n(4), out)
	}
	if c := strings.Count(out, "nucCode:"); c < 2 {
		t.Fatalf("OPAC record of ISBN 0839108826 lists %d holdings:\n%s", c, out)
	}

	zoomsh := testenv.Require(t, "zoomsh", "yaz")
	zo := testenv.RunClient(t, zoomsh, "", "connect tcp:"+z+"/consortium", "search @attr 1=4 computer", "quit")
	if !strings.Contains(zo, ": "+hits[0][1]+" hits") {
		t.Fatalf("zoomsh: want %s hits:\n%s", hits[0][1], zo)
	}

	for _, u := range []string{d.url("/sru/consortium"), "http://" + z + "/consortium"} {
		code, body := get(u + "?version=1.2&operation=searchRetrieve&query=dc.title%3Dcomputer&maximumRecords=1")
		if code != 200 || !strings.Contains(body, "<zs:numberOfRecords>"+hits[0][1]+"</zs:numberOfRecords>") {
			t.Fatalf("SRU %s: %d\n%s", u, code, body)
		}
		xmllint := testenv.Require(t, "xmllint", "libxml2-utils")
		cmd := exec.Command(xmllint, "--noout", "-")
		cmd.Stdin = strings.NewReader(body)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("xmllint %s: %v\n%s", u, err, out)
		}
	}
}
