package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fnkit/fnkit/examples/scheduled-job/nightly"

	"github.com/fnkit/fnkit/state/boltstore"
)

// TestMain lets the test binary run the real main when FNKIT_EXAMPLE_MAIN
// is set, so TestMainOnEveryRuntime can start it as a process.
func TestMain(m *testing.M) {
	if os.Getenv("FNKIT_EXAMPLE_MAIN") != "" {
		if err := run(context.Background(), os.Getenv, slog.New(slog.NewJSONHandler(os.Stderr, nil))); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestMainOnEveryRuntime starts the real main as a process on each
// runtime it picks over HTTP — Cloud Functions (the framework's own
// server, a Pub/Sub messagePublished tick from Cloud Scheduler), Knative
// (a PingSource tick) and local (Cloud Scheduler's HTTP POST) — places a
// stale order and checks the tick expires it.
func TestMainOnEveryRuntime(t *testing.T) {
	for _, rt := range []struct {
		name string
		env  []string
		tick func(url string) *http.Request
	}{
		{"cloudfunctions", []string{"FUNCTION_TARGET=NightlyJob", "FUNCTION_SIGNATURE_TYPE=cloudevent", "LOCAL_ONLY=true"}, func(url string) *http.Request {
			body := `{"message":{"data":"e30=","messageId":"555","publishTime":"2026-03-14T03:00:01Z"},"subscription":"projects/acme/subscriptions/nightly"}`
			req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
			setCE(req, "555", "//pubsub.googleapis.com/projects/acme/topics/nightly-ticks", "google.cloud.pubsub.topic.v1.messagePublished", "2026-03-14T03:00:01Z")
			return req
		}},
		{"knative", []string{"K_SERVICE=scheduled-job"}, func(url string) *http.Request {
			req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{}`))
			setCE(req, "ping-1", "/apis/v1/namespaces/default/pingsources/nightly", nightly.TypePing, "2026-03-14T03:00:00Z")
			return req
		}},
		{"local", []string{"HOST=127.0.0.1"}, func(url string) *http.Request {
			return cloudSchedulerPost(t, url, "2026-03-14T03:00:00Z")
		}},
	} {
		t.Run(rt.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			_, port, _ := net.SplitHostPort(ln.Addr().String())
			ln.Close()
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			dbPath := t.TempDir() + "/job.db"
			cmd.Env = append(os.Environ(), "FNKIT_EXAMPLE_MAIN=1", "PORT="+port, "FNKIT_DRAIN_DELAY=0", "JOB_BOLT_PATH="+dbPath)
			cmd.Env = append(cmd.Env, rt.env...)
			stderr := &syncBuffer{}
			cmd.Stderr = stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			stopped := false
			stop := func() {
				if stopped {
					return
				}
				stopped = true
				_ = cmd.Process.Signal(syscall.SIGTERM)
				done := make(chan error, 1)
				go func() { done <- cmd.Wait() }()
				select {
				case <-done:
				case <-time.After(10 * time.Second):
					_ = cmd.Process.Kill()
					<-done
				}
			}
			defer stop()
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
			for start := time.Now(); !strings.Contains(stderr.String(), `"platform":"`+rt.name+`"`); time.Sleep(20 * time.Millisecond) {
				if time.Since(start) > 5*time.Second {
					t.Fatalf("main did not pick %s: %s", rt.name, stderr.String())
				}
			}
			placed, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"id":"stale","placedAt":"2026-03-10T00:00:00Z"}`))
			setCE(placed, "placed-stale", "/shop", nightly.TypeOrderPlaced, "2026-03-10T00:00:00Z")
			if code, _, body := send(t, placed); code/100 != 2 {
				t.Fatalf("order.placed: %d %s %s", code, body, stderr.String())
			}
			code, _, body := send(t, rt.tick(url))
			if code != http.StatusOK {
				t.Fatalf("tick: %d %s %s", code, body, stderr.String())
			}
			if rt.name != "cloudfunctions" { // a CloudEvent function has no reply
				var rep nightly.Report
				if err := json.Unmarshal([]byte(body), &rep); err != nil || !slices.Equal(rep.Expired, []string{"stale"}) {
					t.Fatalf("report %s %v", body, err)
				}
			}
			// The process's store, once it has stopped, says the order expired.
			stop()
			s, err := boltstore.Open(dbPath)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			o, err := nightly.NewJob(s, time.Hour, time.Now).Get(context.Background(), "stale")
			if err != nil || o.Status != nightly.StatusExpired {
				t.Fatalf("stored order %+v %v", o, err)
			}
		})
	}
}

// TestRunRefusesBadSettings: main says which variable is wrong.
func TestRunRefusesBadSettings(t *testing.T) {
	for env, want := range map[string]string{"JOB_MAX_AGE=soon": `JOB_MAX_AGE="soon"`, "JOB_MAX_AGE=-1h": "positive duration", "JOB_STORE=mongo": `unknown JOB_STORE "mongo"`} {
		k, v, _ := strings.Cut(env, "=")
		err := run(context.Background(), func(name string) string {
			if name == k {
				return v
			}
			return ""
		}, quiet)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", env, err, want)
		}
	}
}

func setCE(req *http.Request, id, source, typ, at string) {
	req.Header.Set("Ce-Specversion", "1.0")
	req.Header.Set("Ce-Id", id)
	req.Header.Set("Ce-Source", source)
	req.Header.Set("Ce-Type", typ)
	req.Header.Set("Ce-Time", at)
	req.Header.Set("Content-Type", "application/json")
}

func send(t *testing.T, req *http.Request) (int, http.Header, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
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
