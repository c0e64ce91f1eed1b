package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/examples/hello/greet"
)

// TestServeOverLoopback runs the function as main does, on a real socket,
// and sends what the README's curl commands send.
func TestServeOverLoopback(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- httpserver.Serve(ctx, ln, newHTTPHandler(slog.New(slog.DiscardHandler)),
			httpserver.WithServerLogger(slog.New(slog.DiscardHandler)), httpserver.WithDrainDelay(0))
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	checkREADMECommands(t, "http://"+ln.Addr().String())
}

func checkREADMECommands(t *testing.T, base string) {
	t.Helper()
	// Plain JSON.
	resp, err := http.Post(base, "application/json", strings.NewReader(`{"name":"Ada"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != `{"greeting":"Hello, Ada!"}` || resp.Header.Get("Ce-Type") != greet.ReplyType {
		t.Fatalf("plain: %d %s %v", resp.StatusCode, body, resp.Header)
	}
	// Binary-mode CloudEvent.
	req, _ := http.NewRequest(http.MethodPost, base, strings.NewReader(`{"name":"Grace","language":"fr"}`))
	for k, v := range map[string]string{"Ce-Specversion": "1.0", "Ce-Id": "42", "Ce-Source": "/curl", "Ce-Type": "com.example.hello", "Content-Type": "application/json"} {
		req.Header.Set(k, v)
	}
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != `{"greeting":"Bonjour, Grace !"}` || resp.Header.Get("Ce-Source") != "/curl" {
		t.Fatalf("binary: %d %s %v", resp.StatusCode, body, resp.Header)
	}
	// Invalid input.
	resp, err = http.Post(base, "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(body), `"field":"name"`) {
		t.Fatalf("invalid: %d %s", resp.StatusCode, body)
	}
}

// TestBinary builds the command and runs it as the README says, with PORT
// set, then stops it with SIGTERM.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "hello")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "PORT="+itoa(port), "FNKIT_DRAIN_DELAY=100ms")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		s := bufio.NewScanner(stderr)
		for s.Scan() {
			lines <- s.Text()
		}
		close(lines)
	}()
	base := "http://127.0.0.1:" + itoa(port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("the command did not start: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	checkREADMECommands(t, base)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	// Read the log to its end (the process closing stderr) before Wait,
	// which closes the pipe: lines still unread would be lost.
	var log strings.Builder
	for l := range lines {
		log.WriteString(l + "\n")
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the command did not exit cleanly: %v\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), `"msg":"serving"`) || !strings.Contains(log.String(), `"msg":"drained"`) ||
		!strings.Contains(log.String(), `"msg":"request"`) {
		t.Fatalf("log:\n%s", log.String())
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
