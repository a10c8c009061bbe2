package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/illgw/illgw/marc"
)

func init() {
	register("marc", "convert MARC records and print match keys", runMarc)
}

const marcUsage = `usage:
  illctl marc convert [-from iso2709|marcxml|json] [-to iso2709|marcxml|json|text] [-charset auto|marc8|utf8|latin1] [FILE...]
  illctl marc keys [-from iso2709|marcxml|json] [-charset auto|marc8|utf8|latin1] [FILE...]

Reads FILEs (standard input when none or "-") and writes to standard output,
always as UTF-8 (NFC). The charset of ISO 2709 input comes from leader/09,
checked against the data, unless -charset says otherwise; MARCXML and JSON
input is Unicode. Damaged records are
repaired where possible, with a warning on standard error naming the record.
Exit status: 0 when every record was read (repaired or not), 1 when a record
had to be dropped or a file could not be read, 2 for usage errors.
`

// runMarc is "illctl marc": convert and keys work on local files, not on the gateway.
func runMarc(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "help" {
		fmt.Fprint(stderr, marcUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	sub := args[0]
	if sub != "convert" && sub != "keys" {
		fmt.Fprintf(stderr, "illctl marc: unknown command %q\n%s", sub, marcUsage)
		return 2
	}
	fs := flag.NewFlagSet("illctl marc "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, marcUsage) }
	from := fs.String("from", "iso2709", "input format: iso2709, marcxml or json")
	to := "keys"
	if sub == "convert" {
		fs.StringVar(&to, "to", "marcxml", "output format: iso2709, marcxml, json or text")
	}
	charset := fs.String("charset", "auto", "input charset: auto, marc8, utf8 or latin1")
	// Flags may come before or after the file names.
	var files []string
	for rest := args[1:]; ; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return 2
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		files = append(files, rest[0])
		rest = rest[1:]
	}
	cs, ok := marc.ParseCharset(*charset)
	if !ok {
		fmt.Fprintf(stderr, "illctl marc: unknown charset %q\n", *charset)
		return 2
	}
	if *from != "iso2709" && *from != "marcxml" && *from != "json" {
		fmt.Fprintf(stderr, "illctl marc: unknown input format %q\n", *from)
		return 2
	}
	var out recordWriter
	switch to {
	case "iso2709":
		out = marc.NewWriter(stdout)
	case "marcxml":
		out = marc.NewXMLWriter(stdout)
	case "json":
		out = marc.NewJSONWriter(stdout)
	case "text":
		out = marc.NewTextWriter(stdout)
	case "keys":
		out = &keysWriter{w: stdout}
	default:
		fmt.Fprintf(stderr, "illctl marc: unknown output format %q\n", to)
		return 2
	}
	if len(files) == 0 {
		files = []string{"-"}
	}
	if cs == marc.CharsetAuto && *from != "iso2709" {
		// XML and JSON text is Unicode whatever leader/09 says (LC's own
		// MARCXML files often leave it blank).
		cs = marc.CharsetUTF8
	}
	status := 0
	for _, name := range files {
		if st := convertFile(name, *from, cs, stdin, out, stderr); st > status {
			status = st
		}
	}
	if err := out.Close(); err != nil {
		fmt.Fprintf(stderr, "illctl marc: writing output: %v\n", err)
		return 1
	}
	return status
}

type recordWriter interface {
	Write(*marc.Record) error
	Close() error
}

type recordReader interface {
	Read() (*marc.Record, error)
	Problems() []marc.Problem
}

// convertFile copies the records of one input to out and returns the exit
// status it calls for.
func convertFile(name, from string, cs marc.Charset, stdin io.Reader, out recordWriter, stderr io.Writer) int {
	in := stdin
	label := "stdin"
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(stderr, "illctl marc: %v\n", err)
			return 1
		}
		defer f.Close()
		in, label = f, name
	}
	var rr recordReader
	switch from {
	case "marcxml":
		rr = marc.NewXMLReader(in)
	case "json":
		rr = marc.NewJSONReader(in)
	default:
		rr = marc.NewReader(in)
	}
	status := 0
	for n := 1; ; n++ {
		rec, err := rr.Read()
		for _, p := range rr.Problems() {
			fmt.Fprintf(stderr, "illctl marc: %s: %s\n", label, p)
		}
		if errors.Is(err, io.EOF) {
			return status
		}
		var re *marc.RecordError
		if errors.As(err, &re) {
			fmt.Fprintf(stderr, "illctl marc: %s: record %d dropped: %s\n", label, re.Record, re.Msg)
			status = 1
			continue
		}
		if err != nil {
			fmt.Fprintf(stderr, "illctl marc: %s: %v\n", label, err)
			return 1
		}
		for _, p := range marc.ToUTF8(rec, cs) {
			fmt.Fprintf(stderr, "illctl marc: %s: record %d: %s%s\n", label, n, fieldPrefix(p.Tag), p.Msg)
		}
		if err := out.Write(rec); err != nil {
			fmt.Fprintf(stderr, "illctl marc: %s: record %d not written: %v\n", label, n, err)
			status = 1
		}
	}
}

func fieldPrefix(tag string) string {
	if tag == "" {
		return ""
	}
	return "field " + tag + ": "
}

// keysWriter prints each record's match keys on one line: the record's
// number, a tab, and its keys separated by tabs.
type keysWriter struct {
	w io.Writer
	n int
}

func (k *keysWriter) Write(rec *marc.Record) error {
	k.n++
	keys := marc.MatchKeys(rec).Strings()
	_, err := fmt.Fprintf(k.w, "%d\t%s\n", k.n, strings.Join(keys, "\t"))
	return err
}

func (k *keysWriter) Close() error { return nil }
