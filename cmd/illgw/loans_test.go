package main

import (
	"context"
	"testing"
	"time"

	"github.com/illgw/illgw/broker/ill"
	"github.com/illgw/illgw/config"
)

// TestLoanOptions: loans: in the config file reaches the loan engine.
func TestLoanOptions(t *testing.T) {
	cfg := &config.Config{Loans: config.Loans{
		LenderTimeout:  config.LenderTimeout{Normal: 48 * time.Hour, Rush: 12 * time.Hour, Express: time.Hour},
		AnonymiseAfter: 240 * time.Hour,
	}}
	o := loanOptions(cfg)
	if o.Timeouts.For(ill.Normal) != 48*time.Hour || o.Timeouts.For(ill.Rush) != 12*time.Hour ||
		o.Timeouts.For(ill.Express) != time.Hour || o.AnonymiseAfter != 240*time.Hour {
		t.Fatalf("loan options %+v", o)
	}
	stopLoans(context.Background(), nil, nil) // a gateway that failed before the engine started
}
