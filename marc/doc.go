// Package marc reads and writes MARC 21 records: ISO 2709 (binary MARC),
// MARCXML (MARC 21 slim) and MARC-in-JSON; converts MARC-8 to UTF-8 and
// back; and computes the match keys the broker de-duplicates by.
//
// # Model
//
// A Record is a Leader and its Fields in wire order. A Field is either a
// control field (00X: Tag and Value, zero indicators) or a data field
// (Tag, Ind1, Ind2, Subfields). Build them with ControlField and
// DataField.
//
// # Reading damaged input
//
// Each reader (Reader for ISO 2709, XMLReader, JSONReader) has limits on
// record size and field count, checked before it allocates. The ISO 2709
// Reader repairs what real files get wrong and lists what it repaired in
// Problems; a record it cannot recover comes back as a *RecordError and
// reading goes on with the next one.
//
// # Character sets
//
// ToUTF8 converts a record's data to UTF-8 NFC and sets leader/09 to 'a';
// with CharsetAuto it checks the data against leader/09 (DetectCharset).
// ToMARC8 and EncodeMARC8 go the other way. The MARC-8 tables are
// generated into zmarc8.go from gen/codetables.tsv, the Library of
// Congress code tables as Debian's libmarc-charset-perl ships them (see
// gen/dump-marc-charset.pl). Tests compare every code point of every set
// with yaz-marcdump. Deliberate differences from YAZ:
//
//   - Output is NFC (YAZ gives decomposed text).
//   - A ligature or double-tilde right half (MARC-8 EC, FB) that follows
//     its left half is dropped, as YAZ does (U+0361 and U+0360 span both
//     letters); one with no left half before it is kept as U+FE21/U+FE23,
//     where YAZ drops it.
//   - Six entries of the Perl table (EACC 21203D, 212040, 7F2014, 7F2019,
//     7F2020, 7F2122) hold bytes outside EACC's range and are left out;
//     YAZ does not decode them either.
//   - Control characters other than ESC pass through (YAZ drops line
//     feeds); invalid bytes become U+FFFD and are reported, never dropped.
//   - Encoding: characters MARC-8 lacks become &#xXXXX; references (YAZ's
//     plain marc8 encoder drops them silently), and precomposed
//     characters are decomposed only as far as needed.
//   - Latin-1 data under a MARC-8 leader is detected (DetectCharset).
package marc
