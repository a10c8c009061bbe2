// Package z3950 implements ANSI/NISO Z39.50 (version 3): PDUs, the RPN query model, PQF, a Server, a Client and the Backend/Session interfaces a catalogue implements.
//
// The package has four layers, each in its own files:
//
//   - Types and codec: pdu.go (Encode, Decode), init.go, search.go (Search and Present),
//     query.go (Type-1 RPN), scan.go, sort.go (Sort, DeleteResultSet, Close), diag.go
//     (Diagnostic, records, EXTERNAL), opac.go, charset.go (Charset-3 negotiation) and the
//     generated Bib-1 tables (zbib1.go). BER itself is package z3950/ber, which enforces the
//     size, depth and element limits before anything is allocated.
//   - Queries: pqf.go (ParsePQF, PQF); CQL lives in z3950/cql.
//   - The server: server.go (Server, its limits, Serve, Shutdown), conn.go (one association's
//     state machine, per-PDU deadlines, SRU hand-off for HTTP on the same port), handlers.go
//     and retrieve.go (one function per operation: check state, call the session, encode).
//   - The application side: backend.go (Backend, Session and the optional Scanner, Sorter,
//     Deleter). A Session returns *Diagnostic for Bib-1 errors; any other error is logged
//     and sent as diagnostic 2. z3950/memory is the in-memory reference backend.
//
// The client side is client.go (Dial, Search, Present with partial-response continuation,
// Scan, Sort, Delete, Close; typed errors) and pool.go (association reuse).
package z3950
