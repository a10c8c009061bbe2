// Package sim runs simulated member libraries for `illgw demo` and for tests.
//
// Each Member is a small ILS model (patrons with PINs, blocks and fines;
// items with barcodes, circulation status, due dates, holds and renewals;
// temporary ILL items) served three ways, each a real server of this
// project's protocol packages on loopback:
//
//   - a SIP2 ACS (sip2.Server over the model, built on sip2/memory);
//   - an NCIP 2.02 responder (ncip.NewServer over the model) at /ncip on its
//     own HTTP listener, which counts every state-changing call;
//   - a Z39.50 catalogue (z3950.Server over z3950/memory) that also answers
//     SRU on the same port, with OPAC holdings whose availability comes from
//     the model.
//
// The fixtures are DESIGN.md's "Demo fixtures": members NORTH, SOUTH and
// EAST; at NORTH patrons N0001 (PIN 1234, good standing) and N0002 (PIN 1234,
// charge privileges denied), items NI0001..NI0010 (available); SOUTH and EAST
// follow the same pattern with S and E prefixes. N0003 (PIN 1234) owes one
// overdue fine of 2.50, for Fee Paid. Each member also knows the
// other members' institutional patrons (ILL-NORTH, ILL-SOUTH, ILL-EAST), the
// borrowers that interlibrary loans are charged to at a lender.
//
// The catalogue split (see Split) is deterministic: the 24 records of
// testdata/sample-marc.mrc are taken in file order; record i (0-based) is
// held by member i mod 3 of NORTH, SOUTH, EAST; a record whose 245 contains
// "computer" (any case) or whose ISBN is 0839108826 is also held by member
// (i+1) mod 3. That gives NORTH 11, SOUTH 12 and EAST 11 records, 34
// holdings of 24 distinct records.
//
// Faults (latency, protocol errors, a refused or black-holed listener) are
// switched per member and per service with Member.SetFaults, so tests can
// drive a gateway's breakers and deadlines.
package sim
