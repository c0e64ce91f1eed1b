package testserver

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Redis returns the shared Redis server: redis-server from the Debian
// package, bound to 127.0.0.1, without persistence.
func Redis(tb testing.TB) *Server {
	tb.Helper()
	return shared(tb, "redis", "install it with `apt-get install redis-server` or run .ci/install-services", func() (*Server, error) {
		if addr := os.Getenv("FNKIT_REDIS_ADDR"); addr != "" {
			return &Server{name: "redis", Addr: addr, external: true}, nil
		}
		bin, err := exec.LookPath("redis-server")
		if err != nil {
			return nil, err
		}
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s := &Server{name: "redis", Addr: hostPort(port)}
		s.command = func() *exec.Cmd {
			return exec.Command(bin, "--bind", "127.0.0.1", "--port", strconv.Itoa(port),
				"--save", "", "--appendonly", "no", "--protected-mode", "yes")
		}
		s.ready = func(ctx context.Context) error { return redisPing(ctx, s.Addr) }
		return s, nil
	})
}

func redisPing(ctx context.Context, addr string) error {
	c, err := dial(ctx, addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("redis answered %q", line)
	}
	return nil
}
