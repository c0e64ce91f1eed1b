//go:build !linux

package httpserver

import "net"

// sweepAndRefuse is Linux-only; elsewhere the listener is closed as it
// is, and connections still in its accept queue may be reset.
func sweepAndRefuse(net.Listener) []net.Conn { return nil }
