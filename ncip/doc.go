// Package ncip implements NCIP 2.02 (NISO Z39.83): messages, a lenient decoder, a strict encoder, an HTTP server and a client.
package ncip
