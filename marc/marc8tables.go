package marc

//go:generate go run ./gen -in gen/codetables.tsv -out zmarc8.go

// marc8Set is one single-byte MARC-8 graphic set.
type marc8Set struct {
	final     byte // final byte of its escape sequence
	name      string
	chars     [94]rune
	combining [94]bool
}
