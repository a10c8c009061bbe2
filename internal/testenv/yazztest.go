package testenv

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// YazServer is a yaz-ztest started for one test: the YAZ test backend,
// serving Z39.50 and SRU on Addr with databases Default, Slow[N] and the
// others yaz-ztest knows. It is stopped at the test's cleanup.
type YazServer struct {
	Addr string // "127.0.0.1:port"
	Dir  string // working directory: dummy-words, ztest.log

	args []string // extra options from YazOption
	daemon
}

// dummyWords is the scan list yaz-ztest reads from its working folder:
// "TERM:count" lines, upper case, sorted.
var dummyWords = []string{
	"ALGORITHMS:4", "ANALYSIS:3", "BIBLIOGRAPHY:5", "CATALOGUING:7", "CIRCULATION:2",
	"COMPUTER:9", "COMPUTERS:6", "COMPUTING:3", "CONSORTIUM:2", "DATABASES:4",
	"HISTORY:11", "INFORMATION:8", "INTERLIBRARY:3", "INTERNET:2", "LENDING:4",
	"LIBRARIES:12", "LIBRARY:15", "LOANS:3", "NETWORK:5", "NETWORKS:4",
	"PROGRAMMING:6", "RADIOLOGY:2", "RECORDS:5", "SCIENCE:7", "STANDARDS:3",
	"SYSTEMS:8", "TECHNOLOGY:6", "WORKSHOP:3",
}

// YazOption configures YazZtest.
type YazOption func(*YazServer)

// WithMaxMessageKB caps the message and record size yaz-ztest negotiates
// (its -k option, in kilobytes; Z39.50-2003 §3.2.1.1.4): a client asking for
// more gets kb*1024, and a Present that does not fit returns fewer records
// with presentStatus partial.
func WithMaxMessageKB(kb int) YazOption {
	return func(s *YazServer) { s.args = append(s.args, "-k", strconv.Itoa(kb)) }
}

// YazZtest starts yaz-ztest (Debian package yaz) with -T, so each
// connection is a thread and Stop really closes every connection, on a
// free loopback port, from a folder holding a dummy-words file so that Scan
// works. It waits until a Z39.50 Init succeeds and stops the server by its
// PID when the test ends.
func YazZtest(t testing.TB, opts ...YazOption) *YazServer {
	t.Helper()
	bin := Require(t, "yaz-ztest", "yaz")
	s := &YazServer{Dir: t.TempDir(), daemon: daemon{bin: bin}}
	for _, o := range opts {
		o(s)
	}
	words := strings.Join(dummyWords, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(s.Dir, "dummy-words"), []byte(words), 0o644); err != nil {
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

func (s *YazServer) start() error {
	logPath := filepath.Join(s.Dir, "ztest.log")
	argv := append([]string{s.bin, "-T", "-l", logPath}, s.args...)
	argv = append(argv, "tcp:"+s.Addr)
	return s.run(s.Dir, logPath, argv, func() error { return z3950Init(s.Addr) })
}

// Start starts yaz-ztest again after Stop, on the same port, and returns
// once it answers an Init: a member catalogue coming back.
func (s *YazServer) Start(t testing.TB) {
	t.Helper()
	if err := s.start(); err != nil {
		t.Fatal(err)
	}
}

// String returns the Z39.50 target for yaz-client and zoomsh, "tcp:Addr/Default".
func (s *YazServer) String() string { return fmt.Sprintf("tcp:%s/Default", s.Addr) }
