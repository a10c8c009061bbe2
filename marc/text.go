package marc

import (
	"bufio"
	"io"
)

// TextWriter writes records as readable lines in the style of
// yaz-marcdump: the leader, then one line per field ("245 10 $a Title
// $c Author"), then a blank line.
type TextWriter struct {
	w *bufio.Writer
}

// NewTextWriter returns a TextWriter writing to w.
func NewTextWriter(w io.Writer) *TextWriter {
	return &TextWriter{w: bufio.NewWriterSize(w, 64<<10)}
}

// Write writes one record; Close flushes.
func (t *TextWriter) Write(rec *Record) error {
	w := t.w
	w.Write(rec.Leader[:])
	w.WriteByte('\n')
	for i := range rec.Fields {
		f := &rec.Fields[i]
		w.WriteString(f.Tag)
		w.WriteByte(' ')
		if f.IsControl() {
			w.WriteString(f.Value)
			w.WriteByte('\n')
			continue
		}
		w.WriteByte(f.Ind1)
		w.WriteByte(f.Ind2)
		for _, s := range f.Subfields {
			w.WriteString(" $")
			w.WriteByte(s.Code)
			w.WriteByte(' ')
			w.WriteString(s.Value)
		}
		w.WriteByte('\n')
	}
	_, err := w.WriteString("\n")
	return err
}

// Close flushes the output.
func (t *TextWriter) Close() error { return t.w.Flush() }
