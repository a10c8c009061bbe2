// Package ill is the interlibrary-loan lifecycle as a pure transition table, without I/O.
package ill
