package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

func init() {
	register("loans", "interlibrary loans: list, show ID, create, act ID ACTION, watch", runLoans)
}

const loansUsage = `usage: illctl loans list [flags] | show ID | create [flags] | act [flags] ID ACTION | watch [flags]
actions: ` + "%s\n"

func runLoans(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintf(stderr, loansUsage, strings.Join(actionNames(), " "))
		return 2
	}
	switch args[0] {
	case "get", "show":
		return loansGet(args[1:], stdout, stderr)
	case "list":
		return loansList(args[1:], stdout, stderr)
	case "create":
		return loansCreate(args[1:], stdout, stderr)
	case "act":
		return loansAct(args[1:], stdout, stderr)
	case "watch":
		return loansWatch(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "illctl loans: unknown command %q\n"+loansUsage, args[0], strings.Join(actionNames(), " "))
	return 2
}

func stateName(s illgwv1.LoanState) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(s.String(), "LOAN_STATE_")), "_", "-")
}

func parseState(s string) (illgwv1.LoanState, bool) {
	v, ok := illgwv1.LoanState_value["LOAN_STATE_"+strings.ReplaceAll(strings.ToUpper(s), "-", "_")]
	return illgwv1.LoanState(v), ok && v != 0
}

func loansGet(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("illctl loans get", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the loan as JSON")
	s, st := open("loans get", fs, args, stdout, stderr)
	if s == nil {
		return st
	}
	defer s.close()
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: illctl loans show [-json] ID")
		return 2
	}
	loan, err := illgwv1.NewLoansClient(s.conn).Get(s.ctx, &illgwv1.GetLoanRequest{Id: fs.Arg(0)})
	if err != nil {
		return s.fail(err)
	}
	s.showLoan(loan, *asJSON)
	return 0
}

// showLoan prints a loan as JSON or as the table printLoan writes.
func (s *session) showLoan(l *illgwv1.Loan, asJSON bool) {
	if asJSON {
		s.printJSON(l)
		return
	}
	printLoan(s.stdout, l)
}

// actorName is an actor as "kind:id" (operator:alice, member:NORTH).
func actorName(a *illgwv1.Actor) string {
	return strings.ToLower(strings.TrimPrefix(a.GetKind().String(), "KIND_")) + ":" + a.GetId()
}

func ts(t interface{ AsTime() time.Time }, ok bool) string {
	if !ok {
		return "-"
	}
	return t.AsTime().UTC().Format(time.RFC3339)
}

func printLoan(w io.Writer, l *illgwv1.Loan) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "loan\t%s (version %d)\n", l.Id, l.Version)
	fmt.Fprintf(tw, "state\t%s\n", stateName(l.State))
	fmt.Fprintf(tw, "requester\t%s\n", l.Requester)
	fmt.Fprintf(tw, "patron\t%s\n", l.PatronId)
	b := l.GetBib()
	fmt.Fprintf(tw, "title\t%s\n", b.GetTitle())
	if b.GetAuthor() != "" {
		fmt.Fprintf(tw, "author\t%s\n", b.GetAuthor())
	}
	if b.GetIsbn() != "" {
		fmt.Fprintf(tw, "isbn\t%s\n", b.GetIsbn())
	}
	fmt.Fprintf(tw, "service level\t%s\n", strings.ToLower(strings.TrimPrefix(l.ServiceLevel.String(), "SERVICE_LEVEL_")))
	fmt.Fprintf(tw, "supplier\t%s\n", l.CurrentSupplier)
	fmt.Fprintf(tw, "due\t%s\n", ts(l.DueDate, l.DueDate != nil))
	fmt.Fprintf(tw, "temporary item\t%s\n", l.TemporaryItemId)
	fmt.Fprintf(tw, "created\t%s\n", ts(l.CreatedAt, l.CreatedAt != nil))
	if l.FinishedAt != nil {
		fmt.Fprintf(tw, "finished\t%s\n", ts(l.FinishedAt, true))
	}
	if l.Reason != "" {
		fmt.Fprintf(tw, "reason\t%s\n", l.Reason)
	}
	if l.Anonymised {
		fmt.Fprintf(tw, "anonymised\tyes\n")
	}
	if l.Problem != "" {
		fmt.Fprintf(tw, "PROBLEM\t%s\n", l.Problem)
	}
	var allowed []string
	for _, a := range l.AllowedActions {
		allowed = append(allowed, actionName(a))
	}
	fmt.Fprintf(tw, "actions\t%s\n", strings.Join(allowed, " "))
	tw.Flush()
	if len(l.Rota) > 0 {
		fmt.Fprintln(w, "\nrota:")
		tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		for i, r := range l.Rota {
			note := r.Reason
			if r.Deadline != nil {
				note = strings.TrimSpace("times out " + ts(r.Deadline, true) + " " + note)
			}
			avail := "on loan"
			if r.Available {
				avail = "available"
			}
			fmt.Fprintf(tw, "  %d.\t%s\t%s\t%s\titem %s\t%s\n", i+1, r.Member,
				strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(r.State.String(), "SUPPLIER_STATE_")), "_", "-"), avail, r.ItemId, note)
		}
		tw.Flush()
	}
	if len(l.PendingCalls) > 0 {
		fmt.Fprintln(w, "\npending calls:")
		for _, c := range l.PendingCalls {
			line := fmt.Sprintf("  %s at %s", c.Call, c.Member)
			if c.ItemId != "" {
				line += " item " + c.ItemId
			}
			if c.Failed {
				line += fmt.Sprintf(": FAILED %d times: %s", c.Attempts, c.Error)
				if c.NextAttempt != nil {
					line += "; next try " + ts(c.NextAttempt, true)
				} else {
					line += "; run `illctl loans act " + l.Id + " retry-calls` (or skip-call)"
				}
			}
			fmt.Fprintln(w, line)
		}
	}
	fmt.Fprintln(w, "\nevents:")
	tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, e := range l.Events {
		fmt.Fprintf(tw, "  v%d\t%s\t%s\t%s\t%s\t%s\n", e.Version, ts(e.At, e.At != nil), e.Kind, stateName(e.ToState), actorName(e.GetActor()), e.Message)
	}
	tw.Flush()
}

func loansList(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("illctl loans list", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the answer as JSON")
	req := &illgwv1.ListLoansRequest{}
	fs.StringVar(&req.Requester, "requester", "", "only loans of this requesting `MEMBER`")
	fs.StringVar(&req.Supplier, "supplier", "", "only loans with this `MEMBER` on the rota")
	fs.StringVar(&req.PatronId, "patron", "", "only loans of this patron `ID`")
	states := fs.String("state", "", "only loans in these `STATES` (comma-separated: new,shipped,...)")
	limit := fs.Int("limit", 100, "at most this many loans (0: all)")
	s, st := open("loans list", fs, args, stdout, stderr)
	if s == nil {
		return st
	}
	defer s.close()
	if *states != "" {
		for _, name := range strings.Split(*states, ",") {
			v, ok := parseState(strings.TrimSpace(name))
			if !ok {
				fmt.Fprintf(stderr, "illctl loans list: unknown state %q\n", name)
				return 2
			}
			req.States = append(req.States, v)
		}
	}
	client := illgwv1.NewLoansClient(s.conn)
	var loans []*illgwv1.Loan
	for {
		req.PageSize = 100
		resp, err := client.List(s.ctx, req)
		if err != nil {
			return s.fail(err)
		}
		loans = append(loans, resp.Loans...)
		if resp.NextPageToken == "" || (*limit > 0 && len(loans) >= *limit) {
			break
		}
		req.PageToken = resp.NextPageToken
	}
	if *limit > 0 && len(loans) > *limit {
		loans = loans[:*limit]
	}
	if *asJSON {
		s.printJSON(&illgwv1.ListLoansResponse{Loans: loans})
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tREQUESTER\tSUPPLIER\tPATRON\tVERSION\tTITLE")
	for _, l := range loans {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", l.Id, stateName(l.State), l.Requester, l.CurrentSupplier, l.PatronId, l.Version, l.GetBib().GetTitle())
	}
	tw.Flush()
	return 0
}

func loansCreate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("illctl loans create", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the loan as JSON")
	req := &illgwv1.CreateLoanRequest{Bib: &illgwv1.Bib{}}
	fs.StringVar(&req.Requester, "requester", "", "requesting `MEMBER` (required)")
	fs.StringVar(&req.PatronId, "patron", "", "patron `ID` at the requester (required)")
	fs.StringVar(&req.Bib.Title, "title", "", "title")
	fs.StringVar(&req.Bib.Author, "author", "", "author")
	fs.StringVar(&req.Bib.Isbn, "isbn", "", "ISBN")
	fs.StringVar(&req.Bib.ItemId, "item", "", "a specific copy's barcode")
	fs.StringVar(&req.ExternalRequestId, "external-id", "", "the requester's own request `ID` (makes retries safe)")
	fs.StringVar(&req.PickupLocation, "pickup", "", "pickup location")
	fs.StringVar(&req.Note, "note", "", "note")
	level := fs.String("level", "normal", "service level: normal, rush or express")
	operator := fs.String("operator", "", "operator `NAME` recorded on the event (default: the client certificate's name)")
	s, st := open("loans create", fs, args, stdout, stderr)
	if s == nil {
		return st
	}
	defer s.close()
	v, ok := illgwv1.ServiceLevel_value["SERVICE_LEVEL_"+strings.ToUpper(*level)]
	if !ok || v == 0 {
		fmt.Fprintf(stderr, "illctl loans create: unknown service level %q\n", *level)
		return 2
	}
	req.ServiceLevel = illgwv1.ServiceLevel(v)
	if *operator != "" {
		req.Actor = &illgwv1.Actor{Kind: illgwv1.Actor_KIND_OPERATOR, Id: *operator}
	}
	loan, err := illgwv1.NewLoansClient(s.conn).Create(s.ctx, req)
	if err != nil {
		return s.fail(err)
	}
	s.showLoan(loan, *asJSON)
	return 0
}
