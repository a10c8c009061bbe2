// Package marc reads and writes MARC21 records: ISO 2709, MARCXML and MARC-in-JSON, MARC-8 <-> UTF-8, and match keys for de-duplication.
package marc
