package httpserver

import (
	"net"
	"os"
	"syscall"
)

// maxSwept bounds how many queued connections one sweep takes.
const maxSwept = 4096

// sweepAndRefuse accepts, without blocking, every connection queued on a
// TCP listener and, the moment the queue is empty, shuts the socket down
// so that new connection attempts are refused (their clients have sent
// nothing) rather than queued and then reset. The window in which a
// connection can still be lost is the few instructions between the last
// accept and the shutdown. Other listeners sweep nothing.
func sweepAndRefuse(ln net.Listener) []net.Conn {
	tl, ok := ln.(*net.TCPListener)
	if !ok {
		return nil
	}
	raw, err := tl.SyscallConn()
	if err != nil {
		return nil
	}
	var fds []int
	_ = raw.Control(func(fd uintptr) {
		for len(fds) < maxSwept {
			nfd, _, err := syscall.Accept4(int(fd), syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC)
			if err == syscall.EINTR || err == syscall.ECONNABORTED {
				continue
			}
			if err != nil {
				break // EAGAIN: the queue is empty
			}
			fds = append(fds, nfd)
		}
		_ = syscall.Shutdown(int(fd), syscall.SHUT_RD)
	})
	conns := make([]net.Conn, 0, len(fds))
	for _, nfd := range fds {
		f := os.NewFile(uintptr(nfd), "")
		c, err := net.FileConn(f) // dups the descriptor
		_ = f.Close()
		if err == nil {
			conns = append(conns, c)
		}
	}
	return conns
}
