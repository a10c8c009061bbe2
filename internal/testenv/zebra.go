package testenv

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// ZebraServer is a zebrasrv started for one test over an index of the MARC
// files given to Zebra. It serves Z39.50 and SRU on Addr and is stopped at
// the test's cleanup.
type ZebraServer struct {
	Addr     string // "127.0.0.1:port"
	Database string // "Default"
	Dir      string // zebra.cfg, marc21.abs, yazgfs.xml, cql.properties, zebrasrv.log, reg/

	daemon
}

// zebraAbs holds the indexing rules for MARC21 records read by the
// grs.marcxml filter. Each "melm" line maps a MARC field (or subfield) to
// Bib-1 Use attributes by their names in bib1.att; ":p" adds a phrase
// index, ":w" is a word index. "all any" puts every word in Any (1=1016).
const zebraAbs = `name marc21
attset bib1.att
esetname F @
esetname B @
marc usmarc.mar
xpath disable
all any
melm 001      Local-number,Local-number:p
melm 010$a    LC-card-number,LC-card-number:p
melm 020$a    ISBN
melm 022$a    ISSN
melm 035$a    Identifier-standard
melm 100      author,author:p
melm 110      author
melm 111      author
melm 130      title
melm 240      title,title:p
melm 245$c    author
melm 245      title,title:p
melm 246      title,title:p
melm 260$b    Publisher
melm 440      title
melm 490      title
melm 600      subject-heading
melm 610      subject-heading
melm 650      subject-heading,subject-heading:p
melm 651      subject-heading
melm 700$a    author,author:p
melm 700      author
melm 710      author
melm 740      title
`

// zebraCQL maps CQL indexes to Bib-1 attributes for SRU (the format of
// YAZ's CQL-to-RPN properties files). Kept here so the test server does not
// depend on libyaz-dev.
const zebraCQL = `set.cql  = info:srw/cql-context-set/1/cql-v1.2
set.dc   = info:srw/cql-context-set/1/dc-v1.1
set.bath = http://zing.z3950.org/cql/bath/2.0/
set.rec  = info:srw/cql-context-set/2/rec-1.1
set      = info:srw/cql-context-set/1/cql-v1.2
index.cql.serverChoice = 1=1016
index.cql.anywhere     = 1=1016
index.dc.title         = 1=4
index.dc.creator       = 1=1003
index.dc.author        = 1=1003
index.dc.subject       = 1=21
index.dc.publisher     = 1=1018
index.bath.isbn        = 1=7
index.bath.issn        = 1=8
index.bath.lccn        = 1=9
index.rec.id           = 1=12
relation.<       = 2=1
relation.le      = 2=2
relation.eq      = 2=3
relation.exact   = 2=3
relation.ge      = 2=4
relation.>       = 2=5
relation.<>      = 2=6
relation.scr     = 2=3
relation.all     = 4=6
relation.any     = 4=105
structure.exact  = 4=108
structure.*      = 4=1
position.any     = 3=3 6=1
truncation.right = 5=1
truncation.left  = 5=2
truncation.both  = 5=3
truncation.none  = 5=100
always           = 6=1
`

// Zebra indexes marcFiles (ISO 2709 MARC21, as stored: MARC-8 records stay
// MARC-8) with zebraidx and starts zebrasrv (Debian package idzebra-2.0) on
// a free loopback port, database "Default". Bib-1 Use attributes indexed
// include title 1=4, author 1=1003, ISBN 1=7, ISSN 1=8, LCCN 1=9, control
// number 1=12, subject 1=21 and any 1=1016. Record syntaxes: USMARC
// (element sets F and B) and XML MARCXML (element set or SRU recordSchema
// "marcxml", converted to UTF-8). SRU is answered on the same port with
// CQL indexes dc.title, dc.creator, bath.isbn, cql.serverChoice and more.
// It waits until a Z39.50 Init succeeds and stops zebrasrv by its PID when
// the test ends.
func Zebra(t testing.TB, marcFiles ...string) *ZebraServer {
	t.Helper()
	srv := Require(t, "zebrasrv", "idzebra-2.0")
	idx := Require(t, "zebraidx", "idzebra-2.0")
	s := &ZebraServer{Database: "Default", Dir: t.TempDir(), daemon: daemon{bin: srv}}
	if err := s.setup(idx, marcFiles); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.cleanup(t) })
	startOnFreePort(t, func() error {
		port, err := freePort()
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		return err
	}, s.start)
	return s
}

// zebraModulePath finds Zebra's filter modules (their folder carries the
// Debian multiarch triplet).
func zebraModulePath() (string, error) {
	m, _ := filepath.Glob("/usr/lib/*/idzebra-2.0/modules")
	m2, _ := filepath.Glob("/usr/lib/idzebra-2.0/modules")
	m = append(m, m2...)
	for _, d := range m {
		if _, err := os.Stat(filepath.Join(d, "mod-grs-marc.so")); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("testenv: Zebra modules (mod-grs-marc.so) not found under /usr/lib/*/idzebra-2.0/modules; is idzebra-2.0 fully installed?")
}

// setup writes the configuration and builds the index.
func (s *ZebraServer) setup(zebraidx string, marcFiles []string) error {
	mods, err := zebraModulePath()
	if err != nil {
		return err
	}
	for _, d := range []string{"reg", "lock", "tmp"} {
		if err := os.Mkdir(filepath.Join(s.Dir, d), 0o755); err != nil {
			return err
		}
	}
	cfg := fmt.Sprintf(`profilePath: %s:/usr/share/idzebra-2.0/tab
modulePath: %s
attset: bib1.att
attset: explain.att
recordType: grs.marcxml.marc21
storeData: 1
register: reg:200M
shadow: reg:100M
lockDir: lock
setTmpDir: tmp
database: %s
`, s.Dir, mods, s.Database)
	files := map[string]string{
		"zebra.cfg":      cfg,
		"marc21.abs":     zebraAbs,
		"cql.properties": zebraCQL,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(s.Dir, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	run := func(args ...string) error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, zebraidx, append([]string{"-c", "zebra.cfg"}, args...)...)
		cmd.Dir = s.Dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("testenv: zebraidx %v: %v\n%s", args, err, tail(out, 20))
		}
		if bytes.Contains(out, []byte("[fatal]")) {
			return fmt.Errorf("testenv: zebraidx %v:\n%s", args, tail(out, 20))
		}
		return nil
	}
	if err := run("init"); err != nil {
		return err
	}
	if len(marcFiles) == 0 {
		return nil
	}
	abs := make([]string, len(marcFiles))
	for i, f := range marcFiles {
		a, err := filepath.Abs(f)
		if err != nil {
			return err
		}
		if _, err := os.Stat(a); err != nil {
			return fmt.Errorf("testenv: MARC file: %w", err)
		}
		abs[i] = a
	}
	if err := run(append([]string{"update"}, abs...)...); err != nil {
		return err
	}
	return run("commit")
}

// zebraGFS is the YAZ front-end configuration: listener, Zebra config, the
// CQL map for SRU and the record conversions offered.
const zebraGFS = `<yazgfs>
  <listen id="z">tcp:%s</listen>
  <server id="zebra" listenref="z">
    <directory>%s</directory>
    <config>zebra.cfg</config>
    <cql2rpn>cql.properties</cql2rpn>
    <retrievalinfo>
      <retrieval syntax="usmarc" name="F"/>
      <retrieval syntax="usmarc" name="B"/>
      <retrieval syntax="usmarc"/>
      <retrieval syntax="xml" name="marcxml" identifier="info:srw/schema/1/marcxml-v1.1">
        <backend syntax="usmarc" name="F">
          <marc inputformat="marc" outputformat="marcxml" inputcharset="marc-8" outputcharset="utf-8"/>
        </backend>
      </retrieval>
      <retrieval syntax="xml" name="zebra::meta"/>
      <retrieval syntax="xml" name="zebra::data"/>
    </retrievalinfo>
  </server>
</yazgfs>
`

func (s *ZebraServer) start() error {
	gfs := filepath.Join(s.Dir, "yazgfs.xml")
	if err := os.WriteFile(gfs, fmt.Appendf(nil, zebraGFS, s.Addr, s.Dir), 0o644); err != nil {
		return err
	}
	logPath := filepath.Join(s.Dir, "zebrasrv.log")
	argv := []string{s.bin, "-T", "-f", gfs, "-l", logPath}
	return s.run(s.Dir, logPath, argv, func() error { return z3950Init(s.Addr) })
}

// Start starts zebrasrv again after Stop, on the same port over the same
// index, and returns once it answers an Init.
func (s *ZebraServer) Start(t testing.TB) {
	t.Helper()
	if err := s.start(); err != nil {
		t.Fatal(err)
	}
}

// String returns the Z39.50 target for yaz-client and zoomsh, "tcp:Addr/Default".
func (s *ZebraServer) String() string { return fmt.Sprintf("tcp:%s/%s", s.Addr, s.Database) }

// SRUURL returns the SRU base URL of the database, "http://Addr/Default".
func (s *ZebraServer) SRUURL() string { return fmt.Sprintf("http://%s/%s", s.Addr, s.Database) }
