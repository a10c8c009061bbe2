// Package cql parses CQL 1.2 and maps it to and from Z39.50 RPN queries.
package cql
