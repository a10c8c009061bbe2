//go:build !linux

package state

import "net"

// peerAllowed relies on the socket file's mode (0600) where SO_PEERCRED is
// not available.
func peerAllowed(net.Conn) error { return nil }
