package memory

import (
	"sort"
	"strings"
	"unicode"
)

// An index maps normalised words to the sorted ids of the records that contain them, and
// keeps each record's full field text for phrase matching.
type index struct {
	words  map[string][]int
	phrase [][]string // per record: normalised field strings
	sorted []string   // words in order, for scan
}

// useIndexes lists the Bib-1 Use attributes (Z39.50-2003 Appendix 3) this backend supports
// and the MARC fields each reads.
var useIndexes = map[int]func(r *record) []string{
	1:    authors,                                                  // personal name
	1003: authors,                                                  // author
	1004: authors,                                                  // author-name personal
	4:    func(r *record) []string { return r.sub("245", "abnp") }, // title
	7:    func(r *record) []string { return isbns(r) },             // ISBN
	8:    func(r *record) []string { return r.sub("022", "a") },    // ISSN
	9:    func(r *record) []string { return r.sub("010", "a") },    // LCCN
	12:   func(r *record) []string { return r.sub("001", "") },     // local number
	21: func(r *record) []string { // subject
		var out []string
		for _, t := range []string{"600", "610", "611", "630", "650", "651"} {
			out = append(out, r.sub(t, "")...)
		}
		return out
	},
	30:   dates,
	31:   dates,
	1018: func(r *record) []string { return r.sub("260", "b") }, // publisher
	1016: anyText,
	1017: anyText,
}

func authors(r *record) []string {
	var out []string
	for _, t := range []string{"100", "110", "111", "700", "710", "711"} {
		out = append(out, r.sub(t, "abcdq")...)
	}
	return out
}

func isbns(r *record) []string {
	var out []string
	for _, v := range r.sub("020", "a") {
		if f := strings.Fields(v); len(f) > 0 {
			out = append(out, strings.ReplaceAll(f[0], "-", ""))
		}
	}
	return out
}

func dates(r *record) []string {
	var out []string
	if f := r.first("008", ""); len(f) >= 11 {
		out = append(out, f[7:11])
	}
	for _, v := range r.sub("260", "c") {
		var d strings.Builder
		for _, c := range v {
			if c >= '0' && c <= '9' {
				d.WriteRune(c)
			}
		}
		if d.Len() >= 4 {
			out = append(out, d.String()[:4])
		}
	}
	return out
}

func anyText(r *record) []string {
	var out []string
	for _, f := range r.rec.Fields {
		if f.IsControl() {
			if f.Tag == "001" {
				out = append(out, f.Value)
			}
			continue
		}
		for _, sf := range f.Subfields {
			out = append(out, sf.Value)
		}
	}
	return append(out, isbns(r)...)
}

// words splits text into lower-case words of letters and digits.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

func norm(s string) string { return strings.Join(words(s), " ") }

func buildIndex(recs []*record, get func(*record) []string) *index {
	ix := &index{words: map[string][]int{}, phrase: make([][]string, len(recs))}
	for id, r := range recs {
		seen := map[string]bool{}
		for _, v := range get(r) {
			ix.phrase[id] = append(ix.phrase[id], norm(v))
			for _, w := range words(v) {
				if !seen[w] {
					seen[w] = true
					ix.words[w] = append(ix.words[w], id)
				}
			}
		}
	}
	for w := range ix.words {
		ix.sorted = append(ix.sorted, w)
	}
	sort.Strings(ix.sorted)
	return ix
}

// truncation modes (Bib-1 type 5).
const (
	truncRight = 1
	truncLeft  = 2
	truncBoth  = 3
	truncNone  = 100
)

// lookup returns the ids of records containing word w under truncation mode t.
func (ix *index) lookup(w string, t int) []int {
	if t == truncNone || t == 0 {
		return ix.words[w]
	}
	var ids []int
	for _, k := range ix.sorted {
		ok := false
		switch t {
		case truncRight:
			ok = strings.HasPrefix(k, w)
		case truncLeft:
			ok = strings.HasSuffix(k, w)
		case truncBoth:
			ok = strings.Contains(k, w)
		}
		if ok {
			ids = union(ids, ix.words[k])
		}
	}
	return ids
}

func union(a, b []int) []int {
	out := make([]int, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j >= len(b) || (i < len(a) && a[i] < b[j]):
			out = append(out, a[i])
			i++
		case i >= len(a) || b[j] < a[i]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return out
}

func intersect(a, b []int) []int {
	var out []int
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			i++
		case b[j] < a[i]:
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return out
}

func minus(a, b []int) []int {
	var out []int
	j := 0
	for _, x := range a {
		for j < len(b) && b[j] < x {
			j++
		}
		if j >= len(b) || b[j] != x {
			out = append(out, x)
		}
	}
	return out
}
