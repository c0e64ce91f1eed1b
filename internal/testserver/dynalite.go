package testserver

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Dynalite returns the shared DynamoDB-compatible server: dynalite (from
// npm) in memory on 127.0.0.1. Its data does not survive Stop.
func Dynalite(tb testing.TB) *Server {
	tb.Helper()
	return shared(tb, "dynalite", "run `npm install dynalite` in $FNKIT_DYNALITE_DIR (default ~/.cache/fnkit-dynalite) or run .ci/install-services", func() (*Server, error) {
		if ep := os.Getenv("FNKIT_DYNAMODB_ENDPOINT"); ep != "" {
			return &Server{name: "dynalite", Endpoint: ep, external: true}, nil
		}
		cli := filepath.Join(DynaliteDir(), "node_modules", "dynalite", "cli.js")
		if _, err := os.Stat(cli); err != nil {
			return nil, fmt.Errorf("dynalite not installed: %w", err)
		}
		node, err := exec.LookPath("node")
		if err != nil {
			return nil, err
		}
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s := &Server{name: "dynalite", Addr: hostPort(port), Endpoint: "http://" + hostPort(port)}
		s.command = func() *exec.Cmd {
			return exec.Command(node, cli, "--host", "127.0.0.1", "--port", strconv.Itoa(port))
		}
		s.ready = func(ctx context.Context) error {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.Endpoint, strings.NewReader("{}"))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			resp.Body.Close()
			return nil
		}
		return s, nil
	})
}

// DynaliteDir is where dynalite is installed: $FNKIT_DYNALITE_DIR, or
// $HOME/.cache/fnkit-dynalite.
func DynaliteDir() string {
	if d := os.Getenv("FNKIT_DYNALITE_DIR"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "fnkit-dynalite")
}
