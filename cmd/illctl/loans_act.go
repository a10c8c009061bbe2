package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

// actionName is an action's command-line name: LOAN_ACTION_SHIP_BACK is
// "ship-back".
func actionName(a illgwv1.LoanAction) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(a.String(), "LOAN_ACTION_")), "_", "-")
}

// actionNames lists every action's name in number order.
func actionNames() []string {
	var out []string
	for i := int32(1); ; i++ {
		if _, ok := illgwv1.LoanAction_name[i]; !ok {
			return out
		}
		out = append(out, actionName(illgwv1.LoanAction(i)))
	}
}

func parseAction(s string) (illgwv1.LoanAction, bool) {
	v, ok := illgwv1.LoanAction_value["LOAN_ACTION_"+strings.ReplaceAll(strings.ToUpper(s), "-", "_")]
	return illgwv1.LoanAction(v), ok && v != 0
}

// parseActor reads KIND:ID as in member:EAST, operator:alice,
// terminal:kiosk1@NORTH or partner:PARTNER1@NORTH (the member after @).
func parseActor(s string) (*illgwv1.Actor, error) {
	kind, rest, ok := strings.Cut(s, ":")
	k, known := illgwv1.Actor_Kind_value["KIND_"+strings.ToUpper(kind)]
	if !ok || !known || k == 0 || rest == "" {
		return nil, fmt.Errorf("actor %q is not KIND:ID (member, partner, terminal, operator)", s)
	}
	id, member, _ := strings.Cut(rest, "@")
	a := &illgwv1.Actor{Kind: illgwv1.Actor_Kind(k), Id: id, Member: member}
	if a.Kind == illgwv1.Actor_KIND_MEMBER && member == "" {
		a.Member = id
	}
	return a, nil
}

// parseWhen reads an RFC 3339 time or a date (midnight UTC).
func parseWhen(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Parse("2006-01-02", s)
}

func loansAct(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("illctl loans act", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the loan as JSON")
	as := fs.String("as", "", "who acts, `KIND:ID[@MEMBER]`: member:EAST, operator:alice, terminal:kiosk1@NORTH (default: an operator named after the client certificate)")
	req := &illgwv1.ActRequest{}
	fs.StringVar(&req.Member, "member", "", "the `MEMBER` acting (default: the actor's member)")
	fs.StringVar(&req.ItemId, "item", "", "the lender's item `ID` (ship)")
	fs.StringVar(&req.Reason, "reason", "", "why (unfilled, cancel, denial)")
	fs.StringVar(&req.IdempotencyKey, "idempotency-key", "", "`KEY` that makes the same action again a no-op")
	fs.Int64Var(&req.ExpectedVersion, "version", 0, "act only if the loan is at this `VERSION`")
	fs.BoolVar(&req.FromIls, "from-ils", false, "the member's ILS already made this step's NCIP call")
	due := fs.String("due", "", "due `DATE` (RFC 3339 or YYYY-MM-DD) for set-due-date and renew-granted")
	s, st := open("loans act", fs, args, stdout, stderr)
	if s == nil {
		return st
	}
	defer s.close()
	if fs.NArg() != 2 {
		fmt.Fprintf(stderr, "usage: illctl loans act [flags] ID ACTION\nactions: %s\n", strings.Join(actionNames(), " "))
		return 2
	}
	req.Id = fs.Arg(0)
	a, ok := parseAction(fs.Arg(1))
	if !ok {
		fmt.Fprintf(stderr, "illctl loans act: unknown action %q; actions: %s\n", fs.Arg(1), strings.Join(actionNames(), " "))
		return 2
	}
	req.Action = a
	if *as != "" {
		actor, err := parseActor(*as)
		if err != nil {
			fmt.Fprintf(stderr, "illctl loans act: %v\n", err)
			return 2
		}
		req.Actor = actor
	}
	if *due != "" {
		t, err := parseWhen(*due)
		if err != nil {
			fmt.Fprintf(stderr, "illctl loans act: -due %q is not RFC 3339 or YYYY-MM-DD\n", *due)
			return 2
		}
		req.DueDate = timestamppb.New(t)
	}
	loan, err := illgwv1.NewLoansClient(s.conn).Act(s.ctx, req)
	if err != nil {
		return s.fail(err)
	}
	s.showLoan(loan, *asJSON)
	if !*asJSON && loan.Problem != "" {
		return 3
	}
	return 0
}

// loansWatch prints loan events as they are written, one line each, until
// interrupted (or -n events). The last column is the cursor to resume from.
func loansWatch(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("illctl loans watch", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print each event as JSON")
	req := &illgwv1.WatchRequest{}
	fs.StringVar(&req.Cursor, "cursor", "", "resume after this `CURSOR` (the last column of an earlier watch)")
	fs.BoolVar(&req.FromBeginning, "from-beginning", false, "start at the first event kept instead of now")
	fs.StringVar(&req.Requester, "requester", "", "only loans of this requesting `MEMBER`")
	fs.StringVar(&req.Supplier, "supplier", "", "only events with this `MEMBER` as lender")
	loanID := fs.String("loan", "", "only this loan `ID`")
	n := fs.Int("n", 0, "stop after `N` events (0: run until interrupted)")
	s, st := open("loans watch", fs, args, stdout, stderr)
	if s == nil {
		return st
	}
	defer s.close()
	if *loanID != "" {
		req.LoanIds = []string{*loanID}
	}
	// A watch runs until interrupted, not until -timeout.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	stream, err := illgwv1.NewLoansClient(s.conn).Watch(ctx, req)
	if err != nil {
		return s.fail(err)
	}
	for seen := 0; *n == 0 || seen < *n; seen++ {
		ev, err := stream.Recv()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, io.EOF) {
				return 0
			}
			return s.fail(err)
		}
		if *asJSON {
			s.printJSON(ev)
			continue
		}
		fmt.Fprintf(stdout, "%s %s v%d %-18s %-14s %-16s %s %s\n", ts(ev.At, ev.At != nil), ev.LoanId, ev.Version, ev.Kind,
			stateName(ev.ToState), actorName(ev.GetActor()), ev.Message, ev.Cursor)
	}
	return 0
}
