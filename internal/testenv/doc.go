// Package testenv starts real redis-server, slapd, yaz-ztest and zebrasrv instances on free loopback ports for tests.
package testenv
