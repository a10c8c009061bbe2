// Package sim provides simulated member libraries (catalogue, NCIP responder, SIP2 ACS) for the demo and tests.
package sim
