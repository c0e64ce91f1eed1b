package platform

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/adapters/azurefunctions"
	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/handler"
)

const childEnv = "FNKIT_PLATFORM_TEST_CHILD"

// TestMain doubles as the function binary: started again with childEnv
// set to "event" or "http", it runs Run or RunHTTP with the process's
// real environment, as a deployed function does.
func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "event":
		if err := Run(context.Background(), echo()); err != nil {
			fmt.Fprintln(os.Stderr, "run:", err)
			os.Exit(1)
		}
		os.Exit(0)
	case "http":
		if err := RunHTTP(context.Background(), hello()); err != nil {
			fmt.Fprintln(os.Stderr, "run:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// echo replies with the event's data and logs that it ran.
func echo() handler.Handler {
	return handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		inv, _ := handler.InvocationFrom(ctx)
		fmt.Fprintf(os.Stderr, "handled %s on %s\n", e.ID(), inv.Platform)
		r := event.New()
		r.SetID("reply-" + e.ID())
		r.SetSource("/echo")
		r.SetType("echo")
		_ = r.SetData(event.ApplicationJSON, json.RawMessage(e.Data()))
		return &r, nil
	})
}

func hello() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello from "+r.URL.Path)
	})
}

func TestDetect(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want Platform
		why  string
	}{
		{map[string]string{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"}, Lambda, "AWS_LAMBDA_RUNTIME_API"},
		{map[string]string{"FUNCTION_TARGET": "Fn", "K_SERVICE": "fn"}, CloudFunctions, "FUNCTION_TARGET"},
		{map[string]string{"K_SERVICE": "fn", "PORT": "8080"}, Knative, "K_SERVICE"},
		{map[string]string{"PORT": "8080"}, Local, "no platform variable"},
		{map[string]string{"K_SERVICE": "fn", EnvPlatform: "local"}, Local, EnvPlatform},
		{map[string]string{EnvPlatform: "lambda"}, Lambda, EnvPlatform},
		{map[string]string{"FUNCTIONS_CUSTOMHANDLER_PORT": "3000", "PORT": "8080"}, Azure, "FUNCTIONS_CUSTOMHANDLER_PORT"},
	}
	for _, tt := range tests {
		p, why, err := Detect(func(k string) string { return tt.env[k] })
		if err != nil || p != tt.want || !strings.Contains(why, tt.why) {
			t.Errorf("%v: %s (%q, %v), want %s (%q)", tt.env, p, why, err, tt.want, tt.why)
		}
	}
	if _, _, err := Detect(func(k string) string { return map[string]string{EnvPlatform: "azure"}[k] }); err == nil || !strings.Contains(err.Error(), EnvPlatform) {
		t.Errorf("unknown forced platform: %v", err)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

func waitUp(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never answered", url)
}

func postEvent(t *testing.T, url, id string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"n":1}`))
	for k, v := range map[string]string{"Ce-Specversion": "1.0", "Ce-Id": id, "Ce-Source": "/t", "Ce-Type": "t", "Content-Type": "application/json"} {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// TestRunInProcess: local and Knative runs serve in this process until ctx
// ends, and log the choice.
func TestRunInProcess(t *testing.T) {
	for _, tt := range []struct {
		p     Platform
		probe string // a path only that platform answers
	}{{Local, "/healthz"}, {Knative, "/livez"}} {
		t.Run(string(tt.p), func(t *testing.T) {
			port := freePort(t)
			t.Setenv("PORT", port) // knative.ConfigFromEnv reads it
			var logs bytes.Buffer
			var mu sync.Mutex
			logger := slog.New(slog.NewJSONHandler(writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return logs.Write(p) }), nil))
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				done <- Run(ctx, echo(), WithPlatform(tt.p), WithLogger(logger), withGetenv(func(k string) string {
					return map[string]string{"PORT": port}[k]
				}), WithServerOptions(httpserver.WithDrainDelay(0)))
			}()
			base := "http://127.0.0.1:" + port
			waitUp(t, base+tt.probe)
			status, body, h := postEvent(t, base+"/", "e-1")
			if status != http.StatusOK || body != `{"n":1}` || h.Get("Ce-Id") != "reply-e-1" {
				t.Fatalf("event: %d %q %v", status, body, h)
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("Run: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if !strings.Contains(logs.String(), `"msg":"fnkit platform","platform":"`+string(tt.p)+`","reason":"WithPlatform"`) {
				t.Fatalf("the choice is not logged:\n%s", logs.String())
			}
		})
	}
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// child starts this test binary as the function with env.
func child(t *testing.T, mode string, env ...string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), childEnv+"="+mode), env...)
	logs := &syncBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, logs
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestSelectsFromTheEnvironment runs the binary as each platform starts
// it and checks it served as that platform.
func TestSelectsFromTheEnvironment(t *testing.T) {
	t.Run("cloudfunctions", func(t *testing.T) {
		port := freePort(t)
		_, logs := child(t, "event", "FUNCTION_TARGET=Fn", "FUNCTION_SIGNATURE_TYPE=cloudevent", "PORT="+port, "LOCAL_ONLY=true")
		waitUp(t, "http://127.0.0.1:"+port+"/")
		status, _, _ := postEvent(t, "http://127.0.0.1:"+port+"/", "cf-1")
		if status < 200 || status > 299 || !waitFor(logs, "handled cf-1 on "+handler.PlatformCloudFunctions) {
			t.Fatalf("status %d; log:\n%s", status, logs)
		}
		if !strings.Contains(logs.String(), `platform=cloudfunctions reason="FUNCTION_TARGET is set"`) {
			t.Fatalf("choice not logged:\n%s", logs)
		}
	})
	t.Run("knative http", func(t *testing.T) {
		port := freePort(t)
		_, logs := child(t, "http", "K_SERVICE=fn", "PORT="+port)
		base := "http://127.0.0.1:" + port
		waitUp(t, base+"/readyz")
		resp, err := http.Get(base + "/orders")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "hello from /orders" || !strings.Contains(logs.String(), `platform=knative reason="K_SERVICE is set" handler=http`) {
			t.Fatalf("body %q; log:\n%s", b, logs)
		}
	})
	t.Run("lambda", func(t *testing.T) {
		api := newRuntimeAPI(t, `{"name":"Ada"}`)
		_, logs := child(t, "event", "AWS_LAMBDA_RUNTIME_API="+api.addr)
		select {
		case got := <-api.responses:
			if got != `{"name":"Ada"}` {
				t.Fatalf("the function answered %q", got)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("no response reached the runtime API; log:\n%s", logs)
		}
		if !strings.Contains(logs.String(), `platform=lambda reason="AWS_LAMBDA_RUNTIME_API is set"`) {
			t.Fatalf("choice not logged:\n%s", logs)
		}
	})
}

func waitFor(b *syncBuffer, s string) bool {
	for range 200 {
		if strings.Contains(b.String(), s) {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

// runtimeAPI serves the Lambda Runtime API's invocation endpoints on
// loopback: one invocation with payload, then nothing.
type runtimeAPI struct {
	addr      string
	responses chan string
}

func newRuntimeAPI(t *testing.T, payload string) *runtimeAPI {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	api := &runtimeAPI{addr: ln.Addr().String(), responses: make(chan string, 1)}
	var once sync.Once
	stop := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		served := false
		once.Do(func() {
			w.Header().Set("Lambda-Runtime-Aws-Request-Id", "req-1")
			w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(time.Minute).UnixMilli(), 10))
			w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-west-1:123456789012:function:fn")
			_, _ = io.WriteString(w, payload)
			served = true
		})
		if !served {
			select { // no more invocations: hold the poll until the test ends
			case <-stop:
			case <-r.Context().Done():
			}
		}
	})
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		api.responses <- string(b)
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		api.responses <- "error: " + string(b)
		w.WriteHeader(http.StatusAccepted)
	})
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { close(stop); _ = srv.Close() })
	return api
}

// TestRunAzure: on Azure Functions the app's functions are served as a
// custom handler on FUNCTIONS_CUSTOMHANDLER_PORT; without them Run says
// what is missing.
func TestRunAzure(t *testing.T) {
	if err := Run(context.Background(), echo(), WithPlatform(Azure), WithLogger(slog.New(slog.DiscardHandler))); !errors.Is(err, ErrNoAzureFunctions) {
		t.Fatalf("without functions: %v", err)
	}
	port := freePort(t)
	t.Setenv(azurefunctions.EnvPort, port)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, echo(), WithPlatform(Azure), WithLogger(slog.New(slog.DiscardHandler)),
			WithAzureFunctions(azurefunctions.StorageQueue("OnQueue", "orders", echo())),
			WithServerOptions(httpserver.WithDrainDelay(0)))
	}()
	base := "http://127.0.0.1:" + port
	waitUp(t, base+"/")
	body, err := os.ReadFile("../azurefunctions/testdata/queue.json")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(base+"/OnQueue", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "Outputs") {
		t.Fatalf("invocation: %d %s", resp.StatusCode, b)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}
