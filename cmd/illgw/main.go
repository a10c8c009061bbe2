// Command illgw is the interlibrary-loan gateway daemon: it serves the
// broker's gRPC API, the HTTP endpoints and (as their issues land) the SIP2,
// Z39.50/SRU and NCIP front ends. It is the only place that wires the
// configuration onto every part.
//
//	illgw serve -config FILE      run with a configuration file
//	illgw demo                    run with built-in demo members and a temporary store
//	illgw check-config -config FILE
//	illgw hash-password < password
//	illgw version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/illgw/illgw/config"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `usage: illgw <command> [flags]

commands:
  serve -config FILE          run the gateway with a configuration file
  demo [-state PATH] [-http ADDR] [-grpc ADDR] [-sip2 ADDR] [-z3950 ADDR]
                              run the gateway with the demo members
  check-config -config FILE   validate a configuration file and exit
  hash-password               read a password on stdin, print its bcrypt hash
                              for terminals[].password_hash
  backup -config FILE -o PATH copy the embedded store, also while it runs
  restore -config FILE -i PATH
                              put a backup back (the gateway must be stopped)
  state export|import -config FILE -o|-i PATH
                              move all state between the embedded store and Redis
  version                     print the version and exit

Run "illgw <command> -h" for a command's flags.
`

// run is main without the process: it returns the exit status. Status 2 is
// a usage or configuration error, 1 a failure while running.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return cmdServe(args[1:], stdout, stderr)
	case "demo":
		return cmdDemo(args[1:], stdout, stderr)
	case "check-config":
		return cmdCheckConfig(args[1:], stdout, stderr)
	case "hash-password":
		return cmdHashPassword(args[1:], stdin, stdout, stderr)
	case "backup":
		return cmdBackup(args[1:], stdout, stderr)
	case "restore":
		return cmdRestore(args[1:], stdout, stderr)
	case "state":
		return cmdState(args[1:], stdout, stderr)
	case "version":
		v, c := buildVersion()
		fmt.Fprintf(stdout, "illgw %s (commit %s, %s)\n", v, c, runtime.Version())
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "illgw: unknown command %q\n\n%s", args[0], usage)
	return 2
}

// newFlagSet returns a FlagSet for a subcommand that reports errors instead
// of exiting.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("illgw "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses a subcommand's flags; it returns the exit status to use
// when parsing ended the command (help or a bad flag), or -1 to go on.
func parseFlags(fs *flag.FlagSet, args []string) int {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return 2
	}
	return -1
}

func loadConfig(fs *flag.FlagSet, path string, stderr io.Writer) (*config.Config, int) {
	if path == "" {
		fmt.Fprintf(stderr, "%s: -config FILE is required\n", fs.Name())
		return nil, 2
	}
	cfg, err := config.Load(path)
	if err != nil {
		// Each problem is printed as FILE:LINE: key: reason.
		fmt.Fprintln(stderr, err)
		return nil, 2
	}
	return cfg, -1
}

func cmdServe(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("serve", stderr)
	path := fs.String("config", "", "configuration `FILE` (YAML)")
	brokerAddr := fs.String("broker-addr", "", "`ADDR` of a remote broker the protocol front ends call instead of this process's own")
	brokerCA := fs.String("broker-ca", "", "CA certificate `FILE` that signed the remote broker's certificate (TLS to -broker-addr)")
	brokerCert := fs.String("broker-cert", "", "client certificate `FILE` for the remote broker")
	brokerKey := fs.String("broker-key", "", "client key `FILE` for the remote broker")
	if st := parseFlags(fs, args); st >= 0 {
		return st
	}
	cfg, st := loadConfig(fs, *path, stderr)
	if st >= 0 {
		return st
	}
	so := startOptions{brokerAddr: *brokerAddr}
	if tc, err := brokerClientTLS(*brokerCA, *brokerCert, *brokerKey); err != nil {
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return 2
	} else if tc != nil {
		if so.brokerAddr == "" {
			fmt.Fprintln(stderr, "serve: -broker-ca, -broker-cert and -broker-key need -broker-addr")
			return 2
		}
		so.brokerTLS = tc
	}
	so.configPath = *path
	return runGateway(cfg, newLogger(cfg.Log, stderr), nil, so)
}

func cmdCheckConfig(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("check-config", stderr)
	path := fs.String("config", "", "configuration `FILE` (YAML)")
	if st := parseFlags(fs, args); st >= 0 {
		return st
	}
	cfg, st := loadConfig(fs, *path, stderr)
	if st >= 0 {
		return st
	}
	fmt.Fprintf(stdout, "%s: ok (%s, %s, %s, %s, state %s)\n", *path,
		count(len(cfg.Members), "member"), count(len(cfg.Databases), "database"),
		count(len(cfg.Terminals), "terminal"), count(len(cfg.Partners), "partner"), cfg.State.Driver)
	return 0
}

// count says "1 member", "2 members".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func cmdHashPassword(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("hash-password", stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: illgw hash-password < FILE\n\nReads one password line on stdin and prints its bcrypt hash for terminals[].password_hash.")
	}
	if st := parseFlags(fs, args); st >= 0 {
		return st
	}
	pw, err := config.ReadPassword(stdin)
	if err != nil {
		fmt.Fprintf(stderr, "illgw hash-password: %v\n", err)
		return 1
	}
	h, err := config.HashPassword(pw)
	clear(pw)
	if err != nil {
		fmt.Fprintf(stderr, "illgw hash-password: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, h)
	return 0
}

// runGateway starts the gateway, calls started (if not nil) once it
// serves, and runs until SIGINT or SIGTERM, then shuts down within
// shutdownBudget. It returns the exit status.
func runGateway(cfg *config.Config, log *slog.Logger, started func(*gateway), opts ...startOptions) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	g, err := start(ctx, cfg, log, opts...)
	if err != nil {
		log.Error("illgw: cannot start", "err", err)
		return 1
	}
	if started != nil {
		started(g)
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	var so startOptions
	if len(opts) > 0 {
		so = opts[0]
	}
	status := 0
wait:
	for {
		select {
		case <-hup:
			reloadFile(g, so.configPath, log)
		case <-ctx.Done():
			log.Info("illgw: stopping: finishing in-flight requests", "budget", shutdownBudget)
			break wait
		case err := <-g.errc:
			log.Error("illgw: stopping after a listener failed", "err", err)
			status = 1
			break wait
		}
	}
	stop() // a second signal now kills the process the default way
	if !shutdownWithin(g.shutdown, log, shutdownBudget, shutdownGrace) {
		status = 1
	}
	log.Info("illgw: stopped")
	return status
}

// shutdownGrace is how long past the shutdown budget the last steps
// (closing member clients and the store) may take before the process
// gives up waiting on them and exits anyway: a stuck disk or call must
// not keep a SIGTERM from ending the process.
const shutdownGrace = 800 * time.Millisecond

// shutdownWithin runs shutdown (the gateway's) under budget and returns
// false when it failed or was still running budget+grace later.
func shutdownWithin(shutdown func(context.Context) error, log *slog.Logger, budget, grace time.Duration) bool {
	sctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- shutdown(sctx) }()
	t := time.NewTimer(budget + grace)
	defer t.Stop()
	select {
	case err := <-done:
		if err != nil {
			log.Error("illgw: closing the state store", "err", err)
			return false
		}
		return true
	case <-t.C:
		log.Error("illgw: shutdown still blocked past its budget; exiting without waiting further", "budget", budget+grace)
		return false
	}
}

// reloadFile is the SIGHUP handler: it reads and validates path and
// applies it; a file that does not load is refused, with the reason
// logged, and the running configuration stays.
func reloadFile(g *gateway, path string, log *slog.Logger) {
	cfg := g.cur.Load().cfg
	if path != "" {
		var err error
		if cfg, err = config.Load(path); err != nil {
			log.Error("reload: configuration refused; the running one stays", "file", path, "err", err)
			return
		}
	}
	if err := g.reload(cfg); err != nil {
		log.Error("reload: configuration refused; the running one stays", "file", path, "err", err)
	}
}
