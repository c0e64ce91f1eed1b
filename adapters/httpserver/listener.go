package httpserver

import (
	"net"
	"sync"
)

// drainListener is the listener Serve hands to net/http. Closing a
// listening socket resets every connection still in its accept queue, and
// with it every request their clients have already written there; so at
// the end of the drain, closeAccepting takes what the kernel has queued,
// refuses what comes after (where the platform allows it: see
// sweepAndRefuse), and hands the swept connections to net/http through
// Accept before reporting the listener closed.
type drainListener struct {
	net.Listener
	mu      sync.Mutex
	swept   []net.Conn
	closing bool
}

// Accept returns the next connection: from the socket while it accepts,
// then those swept from its queue, then the socket's error.
func (l *drainListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		return c, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closing && len(l.swept) > 0 {
		c = l.swept[0]
		l.swept = l.swept[1:]
		return c, nil
	}
	return nil, err
}

// closeAccepting stops the listener taking new connections, keeping those
// already queued for Accept. It reports how many it swept.
func (l *drainListener) closeAccepting() int {
	// Held across the sweep: the shutdown of the socket wakes a goroutine
	// blocked in Accept, which must then find the swept connections.
	l.mu.Lock()
	l.closing = true
	swept := sweepAndRefuse(l.Listener)
	l.swept = append(l.swept, swept...)
	l.mu.Unlock()
	// Close wakes a goroutine blocked in Accept, which then takes the
	// swept connections.
	_ = l.Listener.Close()
	return len(swept)
}

// pendingConns returns the swept connections net/http has not taken, for
// Serve to close when it stops early.
func (l *drainListener) pendingConns() []net.Conn {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.swept
	l.swept = nil
	return p
}
