// Package sru implements SRU 1.1, 1.2 and 2.0: a server over the z3950 Backend and a client.
package sru
