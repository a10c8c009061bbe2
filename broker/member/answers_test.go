package member

import (
	"github.com/illgw/illgw/ncip"
	"github.com/illgw/illgw/z3950"
	"github.com/illgw/illgw/z3950/sru"
)

func problemUnknownUser() error { return ncip.NewProblem("Unknown User", "no such user") }
func diagNoRecord() error       { return z3950.NewDiagnostic(13, "") }
func sruDiag() error {
	return &sru.Diagnostic{URI: "info:srw/diagnostic/1/10", Message: "Query syntax error"}
}
