package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fnkit/fnkit/examples/storage-processor/uploads"

	"github.com/fnkit/fnkit/events"
)

// TestMain lets the test binary run the real main when FNKIT_EXAMPLE_MAIN
// is set, so TestMainOnEveryRuntime can start it as a process.
func TestMain(m *testing.M) {
	if os.Getenv("FNKIT_EXAMPLE_MAIN") != "" {
		if err := run(context.Background(), slog.New(slog.NewJSONHandler(os.Stderr, nil))); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestMainOnEveryRuntime starts the real main as a process on each
// runtime it can pick — Cloud Functions (the framework's own server),
// Knative and the local server — with K_SINK pointing at a receiver on
// 127.0.0.1, sends an upload event, and checks the follow-up event
// arrives at the sink.
func TestMainOnEveryRuntime(t *testing.T) {
	var mu sync.Mutex
	var got []http.Header
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		got = append(got, r.Header.Clone())
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer sink.Close()
	ev, err := events.FromBackground(legacyUpload(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range []struct {
		name string
		env  []string
		want int
	}{
		{"cloudfunctions", []string{"FUNCTION_TARGET=OnUpload", "FUNCTION_SIGNATURE_TYPE=cloudevent", "LOCAL_ONLY=true"}, 200},
		{"knative", []string{"K_SERVICE=storage-processor", `K_CE_OVERRIDES={"extensions":{"runtime":"knative"}}`}, 204},
		{"local", []string{"HOST=127.0.0.1"}, 204},
	} {
		t.Run(rt.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			_, port, _ := net.SplitHostPort(ln.Addr().String())
			ln.Close()
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "FNKIT_EXAMPLE_MAIN=1", "PORT="+port, "K_SINK="+sink.URL, "FNKIT_DRAIN_DELAY=0")
			cmd.Env = append(cmd.Env, rt.env...)
			stderr := &syncBuffer{}
			cmd.Stderr = stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() {
				_ = cmd.Process.Signal(syscall.SIGTERM)
				done := make(chan error, 1)
				go func() { done <- cmd.Wait() }()
				select {
				case <-done:
				case <-time.After(10 * time.Second):
					_ = cmd.Process.Kill()
				}
			}()
			url := "http://127.0.0.1:" + port
			for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
				if c, err := net.Dial("tcp", "127.0.0.1:"+port); err == nil {
					c.Close()
					break
				}
				if time.Since(start) > 20*time.Second {
					t.Fatalf("main did not listen: %s", stderr.String())
				}
			}
			if !strings.Contains(stderr.String(), `"platform":"`+rt.name+`"`) {
				time.Sleep(100 * time.Millisecond)
				if !strings.Contains(stderr.String(), `"platform":"`+rt.name+`"`) {
					t.Fatalf("main did not pick %s: %s", rt.name, stderr.String())
				}
			}
			mu.Lock()
			before := len(got)
			mu.Unlock()
			req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(string(ev.Data())))
			req.Header.Set("Ce-Specversion", "1.0")
			req.Header.Set("Ce-Id", ev.ID()+"-"+rt.name)
			req.Header.Set("Ce-Source", ev.Source())
			req.Header.Set("Ce-Type", ev.Type())
			req.Header.Set("Ce-Subject", ev.Subject())
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != rt.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, rt.want, stderr.String())
			}
			mu.Lock()
			defer mu.Unlock()
			if len(got) != before+1 {
				t.Fatalf("sink got %d events, want 1", len(got)-before)
			}
			h := got[len(got)-1]
			if h.Get("Ce-Type") != uploads.TypeAccepted || h.Get("Ce-Id") != ev.ID()+"-"+rt.name+"/"+uploads.TypeAccepted {
				t.Fatalf("follow-up %v", h)
			}
			if rt.name == "knative" && h.Get("Ce-Runtime") != "knative" {
				t.Fatalf("K_CE_OVERRIDES not applied to the published event: %v", h)
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe to read while a process writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
