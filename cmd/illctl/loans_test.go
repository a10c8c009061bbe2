package main

import (
	"encoding/json"
	"strings"
	"testing"

	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

// TestLoans runs a whole loan on `illgw demo` with illctl: create, show
// (history and rota), act for each step as the member or kiosk that takes
// it, watch, list, and the errors a user sees.
func TestLoans(t *testing.T) {
	addr := demo(t)
	code, out, errs := illctl("-addr", addr, "loans", "create", "-json", "-requester", "NORTH", "-patron", "N0001", "-title", "Computer networks", "-isbn", "0839108826", "-operator", "alice")
	if code != 0 {
		t.Fatalf("loans create: %d %s", code, errs)
	}
	var loan struct {
		ID              string `json:"id"`
		State           string `json:"state"`
		CurrentSupplier string `json:"currentSupplier"`
		Events          []struct {
			Kind  string
			Actor struct{ Kind, ID string }
		} `json:"events"`
	}
	if err := json.Unmarshal([]byte(out), &loan); err != nil {
		t.Fatalf("create -json output: %v\n%s", err, out)
	}
	if loan.ID == "" || loan.State != "LOAN_STATE_SENT" || loan.CurrentSupplier == "" || loan.CurrentSupplier == "NORTH" {
		t.Fatalf("created %+v", loan)
	}
	if loan.Events[0].Kind != "created" || loan.Events[0].Actor.Kind != "KIND_OPERATOR" {
		t.Errorf("first event %+v", loan.Events[0])
	}
	lender := loan.CurrentSupplier

	code, out, errs = illctl("-addr", addr, "loans", "show", loan.ID)
	if code != 0 {
		t.Fatalf("loans show: %d %s", code, errs)
	}
	for _, want := range []string{loan.ID, "sent", "N0001", "Computer networks", "ILL" + loan.ID, "rota:", "1.", lender, "asked", "times out",
		"events:", "created", "operator:alice", "ncip.RequestItem at " + lender, "actions", "ship"} {
		if !strings.Contains(out, want) {
			t.Errorf("loans show output lacks %q:\n%s", want, out)
		}
	}
	steps := []struct{ as, action, state string }{
		{"member:" + lender, "ship", "shipped"},
		{"member:NORTH", "receive", "received"},
		{"terminal:kiosk1@NORTH", "check-out", "checked-out"},
		{"terminal:kiosk1@NORTH", "return", "checked-in"},
		{"member:NORTH", "ship-back", "shipped-return"},
		{"member:" + lender, "check-in", "completed"},
	}
	for _, s := range steps {
		code, out, errs := illctl("-addr", addr, "loans", "act", "-as", s.as, "-idempotency-key", loan.ID+s.action, loan.ID, s.action)
		if code != 0 || !strings.Contains(out, "state           "+s.state) {
			t.Fatalf("act %s: exit %d\n%s%s", s.action, code, out, errs)
		}
	}
	// The same step again with its key is a no-op; without, it is refused.
	if code, _, errs := illctl("-addr", addr, "loans", "act", "-as", "member:"+lender, "-idempotency-key", loan.ID+"check-in", loan.ID, "check-in"); code != 0 {
		t.Errorf("repeated check-in with its key: %d %s", code, errs)
	}
	if code, _, errs := illctl("-addr", addr, "loans", "act", "-as", "member:"+lender, loan.ID, "check-in"); code != 1 || !strings.Contains(errs, "FailedPrecondition") {
		t.Errorf("check-in of a completed loan: %d %s", code, errs)
	}
	// The feeds keep every event: a watch from the beginning replays the
	// loan's 18 (illctl runs one command at a time in this process).
	code, out, errs = illctl("-addr", addr, "loans", "watch", "-from-beginning", "-loan", loan.ID, "-n", "18")
	if code != 0 {
		t.Fatalf("watch: %d %s", code, errs)
	}
	for _, want := range []string{"created", "operator:alice", "shipped", "member:" + lender, "received", "checked-out", "terminal:kiosk1", "lender-checked-in", "w1."} {
		if !strings.Contains(out, want) {
			t.Errorf("watch output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "\n"); n != 18 {
		t.Errorf("watch printed %d lines, want 18:\n%s", n, out)
	}

	code, out, _ = illctl("-addr", addr, "loans", "list", "-state", "completed")
	if code != 0 || !strings.Contains(out, loan.ID) {
		t.Errorf("loans list: %d\n%s", code, out)
	}
	code, out, _ = illctl("-addr", addr, "loans", "list", "-requester", "SOUTH")
	if code != 0 || strings.Contains(out, loan.ID) {
		t.Errorf("loans list -requester SOUTH shows NORTH's loan: %d\n%s", code, out)
	}
	if code, _, errs := illctl("-addr", addr, "loans", "show", "NOSUCH23"); code != 1 || !strings.Contains(errs, "NotFound") {
		t.Errorf("show of a missing loan: %d %s", code, errs)
	}
	if code, _, errs := illctl("-addr", addr, "loans", "create", "-requester", "WEST", "-patron", "p", "-title", "t"); code != 1 || !strings.Contains(errs, "WEST") {
		t.Errorf("create for an unknown member: %d %s", code, errs)
	}
	if code, _, _ := illctl("-addr", addr, "loans", "list", "-state", "bogus"); code != 2 {
		t.Errorf("bad state name: exit %d, want 2", code)
	}
	if code, _, errs := illctl("-addr", addr, "loans", "act", loan.ID, "dance"); code != 2 || !strings.Contains(errs, "ship-back") {
		t.Errorf("unknown action: %d %s", code, errs)
	}
	if code, _, errs := illctl("-addr", addr, "loans", "act", "-as", "robot:x", loan.ID, "ship"); code != 2 || !strings.Contains(errs, "KIND:ID") {
		t.Errorf("bad actor: %d %s", code, errs)
	}
}

// TestPrintLoanProblem: show tells staff which call failed, why, and what
// to run.
func TestPrintLoanProblem(t *testing.T) {
	var b strings.Builder
	printLoan(&b, &illgwv1.Loan{Id: "4AU7EY6U", State: illgwv1.LoanState_LOAN_STATE_RECEIVED, Requester: "NORTH",
		Problem:        "ncip.AcceptItem at NORTH failed (6 attempts): Temporary Processing Failure",
		PendingCalls:   []*illgwv1.PendingCall{{Call: "ncip.AcceptItem", Member: "NORTH", ItemId: "ILL4AU7EY6U", Attempts: 6, Failed: true, Error: "Temporary Processing Failure"}},
		AllowedActions: []illgwv1.LoanAction{illgwv1.LoanAction_LOAN_ACTION_CHECK_OUT, illgwv1.LoanAction_LOAN_ACTION_RETRY_CALLS}})
	for _, want := range []string{"PROBLEM", "ncip.AcceptItem at NORTH item ILL4AU7EY6U: FAILED 6 times: Temporary Processing Failure",
		"illctl loans act 4AU7EY6U retry-calls", "actions         check-out retry-calls"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
}
