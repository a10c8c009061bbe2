// Package z3950 implements ANSI/NISO Z39.50 (version 3): PDUs, the RPN query model, PQF, a Server, a Client and the Backend/Session interfaces a catalogue implements.
package z3950
