// Command illctl is the operator's command line for an illgw gateway. It
// talks to the broker's gRPC API (default 127.0.0.1:50051; TLS with a client
// certificate for a remote gateway).
//
//	illctl [-addr HOST:PORT] [-cert FILE -key FILE -ca FILE] <command> [flags]
//
// Run "illctl help" for the commands.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"text/tabwriter"
	"time"
)

// command is one illctl subcommand.
type command struct {
	summary string
	run     func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

// commands are the subcommands by name; files add theirs from init through
// register.
var commands = map[string]command{}

// register adds a subcommand that `illctl help` lists and `illctl NAME`
// runs with the arguments after its name. It is called from init functions
// (marc.go registers "marc" this way); registering a name twice is a bug.
func register(name, summary string, run func(args []string, stdin io.Reader, stdout, stderr io.Writer) int) {
	if _, dup := commands[name]; dup {
		panic("illctl: command " + name + " registered twice")
	}
	commands[name] = command{summary: summary, run: run}
}

// connFlags say how to reach the gateway. The global flags (before the
// command) set them; a command's own -addr, -cert, -key, -ca override them.
type connFlags struct {
	addr, cert, key, ca string
	timeout             time.Duration
}

// defaultConn is what the global flags set for this process's command.
var defaultConn = connFlags{addr: "127.0.0.1:50051", timeout: 10 * time.Second}

func (c *connFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.addr, "addr", c.addr, "gateway gRPC `HOST:PORT`")
	fs.StringVar(&c.cert, "cert", c.cert, "client certificate `FILE` (PEM) for a gateway with TLS")
	fs.StringVar(&c.key, "key", c.key, "client key `FILE` (PEM)")
	fs.StringVar(&c.ca, "ca", c.ca, "CA certificate `FILE` (PEM) that signed the gateway's certificate")
	fs.DurationVar(&c.timeout, "timeout", c.timeout, "deadline for each call")
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is main without the process; it returns the exit status: 0 success,
// 1 the gateway answered with an error (or something is down), 2 usage.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("illctl", flag.ContinueOnError)
	fs.SetOutput(stderr)
	conn := defaultConn // copied: the flags below change the copy
	conn.register(fs)
	fs.Usage = func() { help(stderr, fs) }
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 {
		help(stderr, fs)
		return 2
	}
	name := fs.Arg(0)
	if name == "help" {
		help(stdout, fs)
		return 0
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "illctl: unknown command %q; run \"illctl help\"\n", name)
		return 2
	}
	// The command reads the global flags from defaultConn; restore it so
	// that run can be called again (tests do) without them leaking.
	saved := defaultConn
	defaultConn = conn
	defer func() { defaultConn = saved }()
	return cmd.run(fs.Args()[1:], stdin, stdout, stderr)
}

// help lists the global flags and every registered command.
func help(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintln(w, "usage: illctl [global flags] <command> [flags]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, n := range names {
		fmt.Fprintf(tw, "  %s\t%s\n", n, commands[n].summary)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nglobal flags:")
	out := fs.Output()
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(out)
	fmt.Fprintln(w, "\nRun \"illctl <command> -h\" for a command's flags.")
}
