package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// dial connects to the gateway: plaintext when no TLS flag is given, else
// TLS 1.2+ with the client certificate and the CA given.
func (c *connFlags) dial() (*grpc.ClientConn, error) {
	creds := insecure.NewCredentials()
	if c.cert != "" || c.key != "" || c.ca != "" {
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if c.cert != "" || c.key != "" {
			if c.cert == "" || c.key == "" {
				return nil, errors.New("-cert and -key go together")
			}
			cert, err := tls.LoadX509KeyPair(c.cert, c.key)
			if err != nil {
				return nil, fmt.Errorf("client certificate: %w", err)
			}
			tc.Certificates = []tls.Certificate{cert}
		}
		if c.ca != "" {
			pem, err := os.ReadFile(c.ca)
			if err != nil {
				return nil, err
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("no PEM certificate in %s", c.ca)
			}
			tc.RootCAs = pool
		}
		creds = credentials.NewTLS(tc)
	}
	return grpc.NewClient(c.addr, grpc.WithTransportCredentials(creds))
}

// session is what a command needs to make calls: a connection, a deadline
// and its output streams.
type session struct {
	conn   *grpc.ClientConn
	ctx    context.Context
	cancel context.CancelFunc
	stdout io.Writer
	stderr io.Writer
	name   string
}

// open parses a command's flags (with the connection flags) and dials. It
// returns nil and the exit status when the command should stop.
func open(name string, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (*session, int) {
	fs.SetOutput(stderr)
	conn := defaultConn
	conn.register(fs)
	if err := parseInterleaved(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, 0
		}
		return nil, 2
	}
	cc, err := conn.dial()
	if err != nil {
		fmt.Fprintf(stderr, "illctl %s: %v\n", name, err)
		return nil, 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), conn.timeout)
	return &session{conn: cc, ctx: ctx, cancel: cancel, stdout: stdout, stderr: stderr, name: name}, -1
}

// parseInterleaved parses fs's flags wherever they stand among the
// positional arguments, so `ID mark-unfilled -reason X` works as well as
// `-reason X ID mark-unfilled`; "--" ends the flags. fs.Args() then holds
// the positional arguments in order.
func parseInterleaved(fs *flag.FlagSet, args []string) error {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
	return fs.Parse(append([]string{"--"}, pos...))
}

func (s *session) close() {
	s.cancel()
	s.conn.Close()
}

// fail prints a call's error as the gateway gave it and returns 1.
func (s *session) fail(err error) int {
	st, _ := status.FromError(err)
	fmt.Fprintf(s.stderr, "illctl %s: %s: %s\n", s.name, st.Code(), st.Message())
	return 1
}

// printJSON prints a message as indented protojson.
func (s *session) printJSON(m proto.Message) {
	b, _ := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(m)
	fmt.Fprintln(s.stdout, string(b))
}
