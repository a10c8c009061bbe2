package adapter

import (
	"errors"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/illgw/illgw/z3950"
)

func TestDiagnosticFromStatus(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code int
	}{
		{status.Error(codes.NotFound, `broker: database "x" does not exist (Bib-1 109)`), 109},
		{status.Error(codes.NotFound, `broker: result set "a" does not exist or has expired (Bib-1 30)`), 30},
		{status.Error(codes.InvalidArgument, "broker: query nested deeper than 64 (Bib-1 108)"), 108},
		{status.Error(codes.InvalidArgument, "broker: start 0"), 108},
		{status.Error(codes.NotFound, "broker: gone"), 109},
		{status.Error(codes.Unimplemented, "x"), 3},
		{status.Error(codes.Unauthenticated, "x"), 1011},
		{status.Error(codes.ResourceExhausted, "x"), 33},
		{status.Error(codes.Unavailable, "dial tcp 10.0.0.1: secret details"), 2},
		{status.Error(codes.Internal, "panic"), 2},
		{errors.New("not a status"), 2},
	} {
		d := diagnostic(tc.err)
		if d.Code != tc.code {
			t.Errorf("%v: Bib-1 %d, want %d", tc.err, d.Code, tc.code)
		}
		if tc.code == 2 && d.AddInfo != "" {
			t.Errorf("%v: internal text %q reaches the client", tc.err, d.AddInfo)
		}
	}
}

func TestQueryDepthBounded(t *testing.T) {
	var n z3950.Node = &z3950.AttrTerm{Term: "x"}
	for range maxDepth + 1 {
		n = &z3950.Op{Op: z3950.And, Left: n, Right: &z3950.AttrTerm{Term: "y"}}
	}
	if _, err := queryToProto(&z3950.RPNQuery{Root: n}); err == nil {
		t.Fatal("a query deeper than maxDepth went to the broker")
	}
}
