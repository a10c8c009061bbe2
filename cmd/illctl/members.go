package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

func init() {
	register("members", "list the consortium's members and databases", runMembers)
	register("health", "show each member's breakers and the state store; exit 1 when something is down", runHealth)
}

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

func runMembers(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("illctl members", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the answer as JSON")
	s, st := open("members", fs, args, stdout, stderr)
	if s == nil {
		return st
	}
	defer s.close()
	resp, err := illgwv1.NewMembersClient(s.conn).List(s.ctx, &illgwv1.ListMembersRequest{})
	if err != nil {
		return s.fail(err)
	}
	if *asJSON {
		s.printJSON(resp)
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CODE\tNAME\tPROTOCOLS\tLENDS\tBORROWS")
	for _, m := range resp.Members {
		var ps []string
		for _, p := range m.Protocols {
			ps = append(ps, protocolName(p))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.Code, m.Name, strings.Join(ps, ","), yesNo(m.Lends), yesNo(m.Borrows))
	}
	tw.Flush()
	if len(resp.Databases) > 0 {
		fmt.Fprintln(stdout)
		tw = tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "DATABASE\tMEMBERS")
		for _, d := range resp.Databases {
			fmt.Fprintf(tw, "%s\t%s\n", d.Name, strings.Join(d.Members, ","))
		}
		tw.Flush()
	}
	return 0
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
