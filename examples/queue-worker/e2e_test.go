package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// runtimeAPI serves the Lambda Runtime API (2018-06-01) and the
// Extensions API register/next that aws-lambda-go's SIGTERM support uses,
// on 127.0.0.1, one invocation at a time.
type runtimeAPI struct {
	srv     *httptest.Server
	pending chan pendingInvoke
	mu      sync.Mutex
	waiting map[string]chan apiResult
	nextID  int
	done    chan struct{}
}

type pendingInvoke struct {
	id      string
	payload []byte
}

type apiResult struct {
	kind string // "response" or "error"
	body []byte
}

func newRuntimeAPI(t testing.TB) *runtimeAPI {
	t.Helper()
	a := &runtimeAPI{pending: make(chan pendingInvoke), waiting: map[string]chan apiResult{}, done: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		select {
		case inv := <-a.pending:
			h := w.Header()
			h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
			h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(10*time.Second).UnixMilli(), 10))
			h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:queue-worker")
			h.Set("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
			h.Set("Content-Type", "application/json")
			w.Write(inv.payload)
		case <-a.done:
			w.WriteHeader(http.StatusGone)
		case <-r.Context().Done():
		}
	})
	result := func(kind string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			a.mu.Lock()
			ch := a.waiting[r.PathValue("id")]
			a.mu.Unlock()
			if ch == nil {
				http.Error(w, "unknown request id", http.StatusBadRequest)
				return
			}
			ch <- apiResult{kind: kind, body: body}
			w.WriteHeader(http.StatusAccepted)
		}
	}
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", result("response"))
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", result("error"))
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		t.Errorf("init error: %s", body)
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("POST /2020-01-01/extension/register", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Lambda-Extension-Identifier", "ext-1")
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("GET /2020-01-01/extension/event/next", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-a.done:
		case <-r.Context().Done():
		}
	})
	a.srv = httptest.NewServer(mux) // 127.0.0.1
	t.Cleanup(func() { close(a.done); a.srv.Close() })
	return a
}

func (a *runtimeAPI) addr() string { return strings.TrimPrefix(a.srv.URL, "http://") }

// invoke hands payload to the function and waits for its result.
func (a *runtimeAPI) invoke(t testing.TB, payload []byte) apiResult {
	t.Helper()
	a.mu.Lock()
	a.nextID++
	id := fmt.Sprintf("req-%d", a.nextID)
	ch := make(chan apiResult, 1)
	a.waiting[id] = ch
	a.mu.Unlock()
	select {
	case a.pending <- pendingInvoke{id: id, payload: payload}:
	case <-time.After(30 * time.Second):
		t.Fatal("the function never asked for the next invocation")
	}
	select {
	case r := <-ch:
		return r
	case <-time.After(30 * time.Second):
		t.Fatal("no result from the function")
	}
	return apiResult{}
}

// buildBootstrap builds this example as a Lambda bootstrap binary.
func buildBootstrap(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// syncBuffer is a bytes.Buffer safe for a writer and readers.
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

func TestBootstrapOnRuntimeAPI(t *testing.T) {
	bin := buildBootstrap(t)
	api := newRuntimeAPI(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = []string{"AWS_LAMBDA_RUNTIME_API=" + api.addr(), "AWS_LAMBDA_FUNCTION_NAME=queue-worker", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST", "AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/queue-worker", "AWS_LAMBDA_LOG_STREAM_NAME=s", "AWS_REGION=us-east-1"}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()

	t.Run("success", func(t *testing.T) {
		r := api.invoke(t, []byte(`{"orderId":"o-1","sku":"tea","qty":21}`))
		if r.kind != "response" || string(bytes.TrimSpace(r.body)) != `{"orderId":"o-1","parcels":3}` {
			t.Errorf("result = %s %s", r.kind, r.body)
		}
	})
	t.Run("returned error", func(t *testing.T) {
		r := api.invoke(t, []byte(`{"orderId":"o-2","sku":"discontinued","qty":1}`))
		var e struct{ ErrorType, ErrorMessage string }
		if r.kind != "error" || json.Unmarshal(r.body, &e) != nil || e.ErrorType != "Permanent" || !strings.Contains(e.ErrorMessage, "SKU discontinued") {
			t.Errorf("result = %s %s", r.kind, r.body)
		}
	})
	t.Run("panic", func(t *testing.T) {
		r := api.invoke(t, []byte(`{"orderId":"o-3","sku":"panic","qty":1}`))
		var e struct{ ErrorType, ErrorMessage string }
		if r.kind != "error" || json.Unmarshal(r.body, &e) != nil || e.ErrorType != "Retryable" || !strings.Contains(e.ErrorMessage, "panic: queue-worker: a bug in Ship") {
			t.Errorf("result = %s %s", r.kind, r.body)
		}
		// The process survives its handler's panic.
		if r := api.invoke(t, []byte(`{"orderId":"o-4","sku":"tea","qty":1}`)); r.kind != "response" {
			t.Errorf("after the panic: %s %s", r.kind, r.body)
		}
	})
	t.Run("SQS partial failure", func(t *testing.T) {
		bodies := map[string]string{"a": `{"orderId":"o-5","sku":"tea","qty":1}`, "b": `{"orderId":"o-6","sku":"flaky","qty":1}`, "c": `{"qty":`}
		r := api.invoke(t, sqsBatch(t, bodies, []string{"a", "b", "c"}))
		if r.kind != "response" || string(bytes.TrimSpace(r.body)) != `{"batchItemFailures":[{"itemIdentifier":"b"},{"itemIdentifier":"c"}]}` {
			t.Errorf("result = %s %s", r.kind, r.body)
		}
	})
	t.Run("API Gateway v2", func(t *testing.T) {
		req := `{"version":"2.0","routeKey":"POST /ship","rawPath":"/ship","rawQueryString":"","headers":{"content-type":"application/json","host":"api.example.com","idempotency-key":"k-1"},
		  "requestContext":{"accountId":"123456789012","apiId":"api","domainName":"api.example.com","requestId":"r","routeKey":"POST /ship","stage":"$default",
		  "http":{"method":"POST","path":"/ship","protocol":"HTTP/1.1","sourceIp":"1.2.3.4","userAgent":"curl"}},
		  "body":"{\"orderId\":\"o-7\",\"sku\":\"tea\",\"qty\":30}","isBase64Encoded":false}`
		r := api.invoke(t, []byte(req))
		var resp struct {
			StatusCode int
			Body       string
		}
		if r.kind != "response" || json.Unmarshal(r.body, &resp) != nil || resp.StatusCode != 200 || resp.Body != `{"orderId":"o-7","parcels":3}` {
			t.Errorf("result = %s %s", r.kind, r.body)
		}
		bad := strings.Replace(req, `\"qty\":30`, `\"qty\":0`, 1)
		if r := api.invoke(t, []byte(bad)); json.Unmarshal(r.body, &resp) != nil || resp.StatusCode != 400 {
			t.Errorf("invalid body over HTTP = %s %s", r.kind, r.body)
		}
	})
	t.Run("SIGTERM runs the hooks", func(t *testing.T) {
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(stderr.String(), "queue-worker: shutting down after 4 shipments") {
			if time.Now().After(deadline) {
				t.Fatalf("no shutdown line; stderr:\n%s", stderr.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}
