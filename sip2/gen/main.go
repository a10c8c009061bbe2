// Command gen turns sip2.txt (field identifiers, code tables and message
// layouts of SIP2 2.00) into the package's zfields.go and zmessages.go.
// Run it with `go generate` in the sip2 directory; the output depends only
// on sip2.txt, so running it twice changes nothing.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"go/format"
	"log"
	"os"
	"strconv"
	"strings"
)

type field struct {
	id, goName, kind, desc string
	secret                 bool
}

type code struct{ code, suffix, desc string }

type table struct {
	prefix, desc string
	codes        []code
}

type fixed struct {
	name, kind, def string
	width           int
}

type varField struct {
	f   *field
	req bool
}

type msg struct {
	code, goName, resp, section, summary string
	fixed                                []fixed
	vars                                 []varField
}

type spec struct {
	fields    []*field
	byID      map[string]*field
	tables    []*table
	status    []code
	supported []string
	msgs      []*msg
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("sip2/gen: ")
	s, err := parse("gen/sip2.txt")
	if err != nil {
		log.Fatal(err)
	}
	write("zfields.go", genFields(s))
	write("zmessages.go", genMessages(s))
}

func write(name string, src []byte) {
	out, err := format.Source(src)
	if err != nil {
		log.Fatalf("%s: %v\n%s", name, err, src)
	}
	if err := os.WriteFile(name, out, 0o644); err != nil {
		log.Fatal(err)
	}
}

// words splits a line into words, keeping "quoted strings" whole.
func words(line string) ([]string, error) {
	var out []string
	for line = strings.TrimSpace(line); line != ""; line = strings.TrimSpace(line) {
		if line[0] == '"' {
			end := strings.IndexByte(line[1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("unterminated quote in %q", line)
			}
			out = append(out, line[1:end+1])
			line = line[end+2:]
			continue
		}
		end := strings.IndexAny(line, " \t")
		if end < 0 {
			end = len(line)
		}
		out = append(out, line[:end])
		line = line[end:]
	}
	return out, nil
}

func parse(path string) (*spec, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s := &spec{byID: map[string]*field{}}
	var curTable *table
	var curMsg *msg
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if t := strings.TrimSpace(line); t == "" || t[0] == '#' {
			continue
		}
		w, err := words(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, n, err)
		}
		bad := func(why string) error { return fmt.Errorf("%s:%d: %s: %q", path, n, why, line) }
		indented := line[0] == ' ' || line[0] == '\t'
		switch {
		case !indented && w[0] == "field" && (len(w) == 5 || len(w) == 6):
			fd := &field{id: w[1], goName: w[2], kind: w[3], desc: w[4], secret: len(w) == 6 && w[5] == "secret"}
			if len(fd.id) != 2 || s.byID[fd.id] != nil {
				return nil, bad("bad or duplicate field id")
			}
			s.fields = append(s.fields, fd)
			s.byID[fd.id] = fd
			curTable, curMsg = nil, nil
		case !indented && w[0] == "table" && len(w) == 3:
			curTable, curMsg = &table{prefix: w[1], desc: w[2]}, nil
			s.tables = append(s.tables, curTable)
		case !indented && w[0] == "status" && len(w) == 3:
			s.status = append(s.status, code{suffix: w[1], desc: w[2]})
		case !indented && w[0] == "supported":
			s.supported = w[1:]
		case !indented && w[0] == "msg" && len(w) == 6:
			curMsg, curTable = &msg{code: w[1], goName: w[2], resp: w[3], section: w[4], summary: w[5]}, nil
			s.msgs = append(s.msgs, curMsg)
		case indented && curTable != nil && len(w) == 3:
			curTable.codes = append(curTable.codes, code{w[0], w[1], w[2]})
		case indented && curMsg != nil && w[0] == "fixed" && (len(w) == 3 || len(w) == 4):
			fx := fixed{name: w[1], kind: w[2]}
			if len(w) == 4 {
				fx.def = w[3]
			}
			if err := fx.resolve(); err != nil {
				return nil, bad(err.Error())
			}
			curMsg.fixed = append(curMsg.fixed, fx)
		case indented && curMsg != nil && w[0] == "var" && (len(w) == 2 || len(w) == 3):
			fd := s.byID[w[1]]
			if fd == nil {
				return nil, bad("unknown field id")
			}
			curMsg.vars = append(curMsg.vars, varField{f: fd, req: len(w) == 3 && w[2] == "req"})
		default:
			return nil, bad("cannot parse")
		}
	}
	for _, m := range s.msgs {
		if len(m.vars) > 64 {
			return nil, fmt.Errorf("%s: message %s has over 64 variable fields", path, m.code)
		}
	}
	if len(s.status) != 14 || len(s.supported) != 16 {
		return nil, fmt.Errorf("%s: want 14 status positions and 16 supported messages", path)
	}
	return s, sc.Err()
}

// resolve sets the wire width of a fixed field from its kind.
func (fx *fixed) resolve() error {
	for _, p := range []string{"str", "count"} {
		if rest, ok := strings.CutPrefix(fx.kind, p); ok && rest != "" {
			n, err := strconv.Atoi(rest)
			if err != nil || n <= 0 {
				return fmt.Errorf("bad width")
			}
			fx.kind, fx.width = p, n
			return nil
		}
	}
	switch fx.kind {
	case "yn", "ok", "char":
		fx.width = 1
	case "date", "datenow":
		fx.width = 18
	case "status":
		fx.width = 14
	default:
		return fmt.Errorf("unknown fixed kind")
	}
	return nil
}

const header = "// Code generated by sip2/gen from gen/sip2.txt; DO NOT EDIT.\n\npackage sip2\n\n"

func genFields(s *spec) []byte {
	var b bytes.Buffer
	b.WriteString(header)
	b.WriteString("// Field identifiers, SIP2 §\"Field Identifiers\" (reference/sip2.md §1.5).\nconst (\n")
	for _, f := range s.fields {
		fmt.Fprintf(&b, "\tField%s = %q // %s\n", f.goName, f.id, f.desc)
	}
	b.WriteString(")\n\n")
	b.WriteString("// fieldInfo describes the field identifiers the package knows.\nvar fieldInfo = map[string]struct {\n\tname   string\n\tlist   bool\n\tsecret bool\n}{\n")
	for _, f := range s.fields {
		fmt.Fprintf(&b, "\t%q: {%q, %v, %v},\n", f.id, f.desc, f.kind == "list", f.secret)
	}
	b.WriteString("}\n\n")
	for _, t := range s.tables {
		fmt.Fprintf(&b, "// %s codes: %s, SIP2 2.00 (reference/sip2.md §1.6).\nconst (\n", t.prefix, t.desc)
		for _, c := range t.codes {
			fmt.Fprintf(&b, "\t%s%s = %q // %s\n", t.prefix, c.suffix, c.code, c.desc)
		}
		b.WriteString(")\n\n")
	}
	b.WriteString("// Patron status positions, SIP2 §\"Patron Status Response\": a set bit is sent as Y (condition true, privilege denied).\nconst (\n")
	for i, c := range s.status {
		if i == 0 {
			fmt.Fprintf(&b, "\t%s PatronStatus = 1 << iota // %s\n", c.suffix, c.desc)
		} else {
			fmt.Fprintf(&b, "\t%s // %s\n", c.suffix, c.desc)
		}
	}
	b.WriteString(")\n\n")
	b.WriteString("// supportedOrder lists the request codes in the order of the supported messages field (BX) of the ACS status, SIP2 §\"ACS Status\".\nvar supportedOrder = [16]string{")
	for i, c := range s.supported {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", c)
	}
	b.WriteString("}\n")
	return b.Bytes()
}

var goTypes = map[string]string{
	"yn": "bool", "ok": "bool", "char": "byte", "str": "string", "count": "Count",
	"date": "time.Time", "datenow": "time.Time", "status": "PatronStatus",
}

func fixedDoc(fx fixed) string {
	switch fx.kind {
	case "yn":
		return "Y/N"
	case "ok":
		return "1/0"
	case "char":
		if fx.def != "" {
			return fmt.Sprintf("one character; zero value sends %q", fx.def)
		}
		return "one character"
	case "str":
		if fx.def != "" {
			return fmt.Sprintf("%d characters; empty sends %q", fx.width, fx.def)
		}
		return fmt.Sprintf("%d characters, blank-padded", fx.width)
	case "count":
		return fmt.Sprintf("%d digits; Unsupported sends blanks", fx.width)
	case "date":
		return "18-character timestamp; zero sends blanks"
	case "datenow":
		return "18-character timestamp; zero sends the current time"
	case "status":
		return "14 Y/blank positions"
	}
	return ""
}

func genMessages(s *spec) []byte {
	var b bytes.Buffer
	b.WriteString(header)
	b.WriteString("import \"time\"\n\n")
	b.WriteString("// Message codes, SIP2 2.00 (reference/sip2.md §1.2).\nconst (\n")
	for _, m := range s.msgs {
		fmt.Fprintf(&b, "\tCode%s = %q\n", m.goName, m.code)
	}
	b.WriteString(")\n\n")
	for _, m := range s.msgs {
		width := 0
		for _, fx := range m.fixed {
			width += fx.width
		}
		fmt.Fprintf(&b, "// %s is message %s, which %s; SIP2 §%q.\n", m.goName, m.code, m.summary, m.section)
		if m.resp != "-" {
			fmt.Fprintf(&b, "// The ACS answers it with message %s.\n", m.resp)
		}
		fmt.Fprintf(&b, "type %s struct {\n", m.goName)
		for _, fx := range m.fixed {
			fmt.Fprintf(&b, "\t%s %s // fixed, %s\n", fx.name, goTypes[fx.kind], fixedDoc(fx))
		}
		for _, v := range m.vars {
			typ := map[string]string{"str": "string", "list": "[]string", "flag": "Flag"}[v.f.kind]
			req := ""
			if v.req {
				req = ", required (sent even when empty)"
			}
			fmt.Fprintf(&b, "\t%s %s // %s %s%s\n", v.f.goName, typ, v.f.id, v.f.desc, req)
		}
		b.WriteString("\t// Extra holds fields this message does not define (and repeats of\n\t// non-repeatable ones), in arrival order; they are sent after the others.\n\tExtra []Field\n}\n\n")
		fmt.Fprintf(&b, "// Code returns %q.\nfunc (*%s) Code() string { return %q }\n\n", m.code, m.goName, m.code)
		fmt.Fprintf(&b, "func (*%s) fixedLen() int { return %d }\n\n", m.goName, width)
		// encode
		fmt.Fprintf(&b, "func (m *%s) appendTo(e *encoder) {\n", m.goName)
		for _, fx := range m.fixed {
			switch fx.kind {
			case "yn", "ok":
				fmt.Fprintf(&b, "\te.%s(m.%s)\n", fx.kind, fx.name)
			case "char":
				def := "0"
				if fx.def != "" {
					def = strconv.QuoteRune(rune(fx.def[0]))
				}
				fmt.Fprintf(&b, "\te.char(m.%s, %s)\n", fx.name, def)
			case "str":
				fmt.Fprintf(&b, "\te.str(m.%s, %d, %q)\n", fx.name, fx.width, fx.def)
			case "count":
				fmt.Fprintf(&b, "\te.count(m.%s, %d)\n", fx.name, fx.width)
			case "date", "datenow":
				fmt.Fprintf(&b, "\te.date(m.%s, %v)\n", fx.name, fx.kind == "datenow")
			case "status":
				fmt.Fprintf(&b, "\te.status(m.%s)\n", fx.name)
			}
		}
		for _, v := range m.vars {
			switch v.f.kind {
			case "str":
				fmt.Fprintf(&b, "\te.field(%q, m.%s, %v)\n", v.f.id, v.f.goName, v.req)
			case "list":
				fmt.Fprintf(&b, "\te.list(%q, m.%s)\n", v.f.id, v.f.goName)
			case "flag":
				fmt.Fprintf(&b, "\te.flag(%q, m.%s)\n", v.f.id, v.f.goName)
			}
		}
		b.WriteString("\te.extra(m.Extra)\n}\n\n")
		// decode
		fmt.Fprintf(&b, "func (m *%s) decodeFrom(d *decoder) {\n", m.goName)
		for _, fx := range m.fixed {
			switch fx.kind {
			case "yn", "ok", "char", "date", "datenow", "status":
				k := fx.kind
				if k == "datenow" {
					k = "date"
				}
				fmt.Fprintf(&b, "\tm.%s = d.%s()\n", fx.name, k)
			case "str", "count":
				fmt.Fprintf(&b, "\tm.%s = d.%s(%d)\n", fx.name, fx.kind, fx.width)
			}
		}
		if len(m.vars) > 0 {
			b.WriteString("\tvar seen uint64\n\tfor _, f := range d.fields {\n\t\tswitch f.ID {\n")
			for i, v := range m.vars {
				fmt.Fprintf(&b, "\t\tcase %q:\n", v.f.id)
				switch v.f.kind {
				case "list":
					fmt.Fprintf(&b, "\t\t\tm.%s = append(m.%s, f.Value)\n\t\t\tcontinue\n", v.f.goName, v.f.goName)
				case "str":
					if !v.req {
						b.WriteString("\t\t\tif f.Value == \"\" {\n\t\t\t\tcontinue // an empty optional field is an absent one\n\t\t\t}\n")
					}
					fmt.Fprintf(&b, "\t\t\tif first(&seen, %d) {\n\t\t\t\tm.%s = f.Value\n\t\t\t\tcontinue\n\t\t\t}\n", i, v.f.goName)
				case "flag":
					fmt.Fprintf(&b, "\t\t\tif f.Value == \"\" {\n\t\t\t\tcontinue // an empty flag is an unset one\n\t\t\t}\n\t\t\tif first(&seen, %d) {\n\t\t\t\tm.%s = flagOf(f.Value)\n\t\t\t\tcontinue\n\t\t\t}\n", i, v.f.goName)
				}
			}
			b.WriteString("\t\t}\n\t\tm.Extra = append(m.Extra, f)\n\t}\n")
		} else {
			b.WriteString("\tm.Extra = append(m.Extra, d.fields...)\n")
		}
		b.WriteString("}\n\n")
	}
	b.WriteString("// newMessage returns an empty message for a request or response code, or nil.\nfunc newMessage(code string) Message {\n\tswitch code {\n")
	for _, m := range s.msgs {
		fmt.Fprintf(&b, "\tcase %q:\n\t\treturn new(%s)\n", m.code, m.goName)
	}
	b.WriteString("\t}\n\treturn nil\n}\n\n")
	b.WriteString("// ResponseCode returns the code of the message the ACS answers a request with, or \"\" when code is not a request.\nfunc ResponseCode(code string) string {\n\tswitch code {\n")
	for _, m := range s.msgs {
		if m.resp != "-" {
			fmt.Fprintf(&b, "\tcase %q:\n\t\treturn %q\n", m.code, m.resp)
		}
	}
	b.WriteString("\t}\n\treturn \"\"\n}\n")
	return b.Bytes()
}
