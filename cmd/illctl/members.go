package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protojson"

	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

func init() {
	register("members", "list the consortium's members, each protocol's breaker and last error, and the databases", runMembers)
	register("health", "show each member's breakers and the state store; exit 1 when something is down", runHealth)
}

// maxErrorText is how many characters of a last error `illctl members`
// prints; `-json` and `illctl health` print it whole.
const maxErrorText = 60

func protocolName(p illgwv1.Protocol) string {
	return strings.ToLower(strings.TrimPrefix(p.String(), "PROTOCOL_"))
}

func breakerName(b illgwv1.BreakerState) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(b.String(), "BREAKER_STATE_")), "_", "-")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// truncateError shortens an error text to at most n characters (runes),
// ending in "..." when it was cut, and puts it on one line so it cannot
// break the table.
func truncateError(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-3]) + "..."
}

func runMembers(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("illctl members", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, `print {"members": Members.List, "health": Members.Health} as JSON`)
	s, st := open("members", fs, args, stdout, stderr)
	if s == nil {
		return st
	}
	defer s.close()
	c := illgwv1.NewMembersClient(s.conn)
	list, err := c.List(s.ctx, &illgwv1.ListMembersRequest{})
	if err != nil {
		return s.fail(err)
	}
	health, err := c.Health(s.ctx, &illgwv1.HealthRequest{})
	if err != nil {
		return s.fail(err)
	}
	if *asJSON {
		b, err := membersJSON(list, health)
		if err != nil {
			return s.fail(err)
		}
		fmt.Fprintln(stdout, string(b))
		return 0
	}
	printMembers(stdout, list, health)
	return 0
}

// membersJSON joins both answers into one JSON object, each in protojson's
// form, so `illctl members -json` stays one document a tool can parse.
func membersJSON(list *illgwv1.ListMembersResponse, health *illgwv1.HealthResponse) ([]byte, error) {
	l, err := protojson.Marshal(list)
	if err != nil {
		return nil, err
	}
	h, err := protojson.Marshal(health)
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(struct {
		Members json.RawMessage `json:"members"`
		Health  json.RawMessage `json:"health"`
	}{l, h}, "", "  ")
}

// printMembers writes the members table, one line per member and
// protocol with its breaker state and last error, then the databases.
func printMembers(w io.Writer, list *illgwv1.ListMembersResponse, health *illgwv1.HealthResponse) {
	byCode := map[string]*illgwv1.MemberHealth{}
	for _, h := range health.GetMembers() {
		byCode[h.Code] = h
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CODE\tNAME\tLENDS\tBORROWS\tPROTOCOL\tBREAKER\tLAST ERROR")
	for _, m := range list.Members {
		head := fmt.Sprintf("%s\t%s\t%s\t%s", m.Code, m.Name, yesNo(m.Lends), yesNo(m.Borrows))
		hs := byCode[m.Code].GetProtocols()
		seen := map[illgwv1.Protocol]bool{}
		for _, p := range hs {
			seen[p.Protocol] = true
			b := breakerName(p.Breaker)
			if p.OpenConsortiumWide {
				b += " (open consortium-wide)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", head, protocolName(p.Protocol), b, truncateError(p.LastError, maxErrorText))
			head = "\t\t\t"
		}
		// A protocol List names that Health did not report on.
		for _, p := range m.Protocols {
			if !seen[p] {
				fmt.Fprintf(tw, "%s\t%s\t%s\t\n", head, protocolName(p), "unknown")
				head = "\t\t\t"
			}
		}
		if head != "\t\t\t" {
			fmt.Fprintf(tw, "%s\t-\t-\t\n", head)
		}
	}
	tw.Flush()
	if len(list.Databases) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "DATABASE\tMEMBERS")
		for _, d := range list.Databases {
			fmt.Fprintf(tw, "%s\t%s\n", d.Name, strings.Join(d.Members, ","))
		}
		tw.Flush()
	}
}

// runHealth prints Members.Health. It exits 1 when the state store does not
// answer or a breaker is open, so scripts and monitors can use it.
func runHealth(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("illctl health", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the answer as JSON")
	s, st := open("health", fs, args, stdout, stderr)
	if s == nil {
		return st
	}
	defer s.close()
	resp, err := illgwv1.NewMembersClient(s.conn).Health(s.ctx, &illgwv1.HealthRequest{Members: fs.Args()})
	if err != nil {
		return s.fail(err)
	}
	down := !resp.GetStore().GetOk()
	for _, m := range resp.Members {
		for _, p := range m.Protocols {
			if p.Breaker == illgwv1.BreakerState_BREAKER_STATE_OPEN || p.OpenConsortiumWide {
				down = true
			}
		}
	}
	if *asJSON {
		s.printJSON(resp)
	} else {
		store := "ok"
		if !resp.GetStore().GetOk() {
			store = "DOWN: " + resp.GetStore().GetError()
		}
		fmt.Fprintf(stdout, "state store (%s): %s, %v\n", resp.GetStore().GetDriver(), store, resp.GetStore().GetLatency().AsDuration())
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "MEMBER\tPROTOCOL\tBREAKER\tLAST ERROR")
		for _, m := range resp.Members {
			if len(m.Protocols) == 0 {
				fmt.Fprintf(tw, "%s\t-\t-\t\n", m.Code)
			}
			for _, p := range m.Protocols {
				b := breakerName(p.Breaker)
				if p.OpenConsortiumWide {
					b += " (open consortium-wide)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.Code, protocolName(p.Protocol), b, p.LastError)
			}
		}
		tw.Flush()
	}
	if down {
		return 1
	}
	return 0
}
