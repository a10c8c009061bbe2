package main

import (
	"context"
	"log/slog"

	"github.com/illgw/illgw/broker"
	"github.com/illgw/illgw/broker/ill"
	"github.com/illgw/illgw/broker/loan"
	"github.com/illgw/illgw/config"
)

// loanOptions maps the config file's loans: section onto the broker's loan
// engine (lender time-outs per service level, anonymisation period).
func loanOptions(cfg *config.Config) broker.LoanOptions {
	t := cfg.Loans.LenderTimeout
	return broker.LoanOptions{
		Timeouts:       ill.Timeouts{Normal: t.Normal, Rush: t.Rush, Express: t.Express},
		AnonymiseAfter: cfg.Loans.AnonymiseAfter,
	}
}

// startLoans runs the loan engine's timer loop (lender time-outs, overdue,
// anonymisation, calls to retry) until stopLoans. Every instance runs it;
// the store hands each timer to one of them.
func startLoans(b *broker.Broker, log *slog.Logger) *loan.Engine {
	e := b.Loans()
	go func() {
		if err := e.Run(context.Background()); err != nil && err != loan.ErrClosed {
			log.Error("loan timers stopped", "err", err)
		}
	}()
	return e
}

// endLoanWatches ends the open Loans.Watch streams at the start of a
// shutdown, so that they do not hold the gRPC server's graceful stop until
// its deadline; loan actions still go on until stopLoans.
func endLoanWatches(e *loan.Engine) {
	if e != nil {
		e.EndWatches()
	}
}

// stopLoans stops the timer loop and waits (until ctx ends) for the NCIP
// calls in flight to be made and recorded, so that none is left half done.
func stopLoans(ctx context.Context, e *loan.Engine, log *slog.Logger) {
	if e == nil {
		return
	}
	if err := e.Close(ctx); err != nil {
		log.Warn("loans: calls still in flight at the shutdown deadline; timers will retry them", "err", err)
	}
}
