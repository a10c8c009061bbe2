package sru

//go:generate go run ./gen

// diagMessage returns the message of an SRU diagnostic, or "".
func diagMessage(code int) string { return srwDiagnostics[code] }
