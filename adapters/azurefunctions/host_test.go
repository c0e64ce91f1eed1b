package azurefunctions_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/adapters/azurefunctions"
	"github.com/fnkit/fnkit/handler"
)

// childEnv makes the test binary run as the custom handler, as the
// Functions host would start it.
const childEnv = "FNKIT_AZUREFUNCTIONS_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(runChild())
	}
	os.Exit(m.Run())
}

// summary is what the echo handler replies: what it saw.
type summary struct {
	ID          string            `json:"id"`
	Source      string            `json:"source"`
	Type        string            `json:"type"`
	Subject     string            `json:"subject,omitempty"`
	Time        string            `json:"time,omitempty"`
	ContentType string            `json:"datacontenttype,omitempty"`
	Data        string            `json:"data"`
	Ext         map[string]string `json:"ext,omitempty"`
	Platform    string            `json:"platform"`
	Attempt     int               `json:"attempt"`
	Sync        bool              `json:"sync"`
	Function    string            `json:"function"`
	RequestID   string            `json:"requestid"`
}

// echo replies with a summary of the event, or fails as its data asks.
func echo(ctx context.Context, e event.Event) (*event.Event, error) {
	d := string(e.Data())
	switch {
	case strings.Contains(d, "fail-permanent"):
		return nil, handler.Permanent(errors.New("order refused"))
	case strings.Contains(d, "fail-invalid"):
		return nil, handler.InvalidInputf("bad order")
	case strings.Contains(d, "fail-throttled"):
		return nil, handler.Throttled(errors.New("busy"), 2*time.Second)
	case strings.Contains(d, "fail-retry"):
		return nil, errors.New("database down")
	case strings.Contains(d, "panic"):
		panic("boom")
	case strings.Contains(d, "sleep"):
		time.Sleep(700 * time.Millisecond)
	}
	if !utf8.ValidString(d) {
		d = "base64:" + base64.StdEncoding.EncodeToString(e.Data())
	}
	inv, _ := handler.InvocationFrom(ctx)
	s := summary{ID: e.ID(), Source: e.Source(), Type: e.Type(), Subject: e.Subject(), ContentType: e.DataContentType(),
		Data: d, Platform: inv.Platform, Attempt: inv.Attempt, Sync: inv.Sync, Function: inv.Function, RequestID: inv.RequestID}
	if !e.Time().IsZero() {
		s.Time = e.Time().UTC().Format(time.RFC3339Nano)
	}
	for k, v := range e.Extensions() {
		if s.Ext == nil {
			s.Ext = map[string]string{}
		}
		s.Ext[k] = fmt.Sprint(v)
	}
	r := event.New()
	r.SetID("reply-" + e.ID())
	r.SetSource("/test")
	r.SetType("echo")
	_ = r.SetData(event.ApplicationJSON, s)
	return &r, nil
}

// items is an ordinary HTTP API: it answers what it received.
func items() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/api/items/{id}", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		inv, _ := handler.InvocationFrom(r.Context())
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Item", r.PathValue("id"))
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]string{
			"method": r.Method, "path": r.URL.Path, "id": r.PathValue("id"), "color": r.URL.Query().Get("color"),
			"body": string(body), "trace": r.Header.Get("X-Trace"), "platform": inv.Platform,
		})
	})
	return mux
}

// bin echoes a binary body's digest and answers bytes.
func bin() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sum := sha256.Sum256(body)
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("X-Sha256", hex.EncodeToString(sum[:]))
		_, _ = w.Write([]byte{0, 1, 2, 0xfe, 0xff})
	})
}

// appFunctions is the function app the child serves.
func appFunctions() []azurefunctions.Function {
	h := handler.Func(echo)
	return []azurefunctions.Function{
		azurefunctions.EventGrid("OnBlobEvent", h),
		azurefunctions.StorageQueue("OnQueue", "orders", h),
		azurefunctions.ServiceBus("OnOrder", "orders", h, azurefunctions.WithSource("sb://contoso.servicebus.windows.net/orders")),
		azurefunctions.EventHubs("OnTelemetry", "telemetry", h),
		azurefunctions.Blob("OnBlob", "uploads/{name}", h),
		azurefunctions.Timer("Tick", "0 */5 * * * *", h),
		azurefunctions.HTTP("Items", items(), azurefunctions.WithRoute("items/{id:int}")),
		azurefunctions.HTTP("Bin", bin()),
	}
}

func runChild() int {
	cfg, err := azurefunctions.ConfigFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	err = azurefunctions.ListenAndServe(context.Background(), cfg, appFunctions(),
		azurefunctions.WithMaxBodyBytes(1<<20))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// host plays the Functions host: it starts the custom handler with
// FUNCTIONS_CUSTOMHANDLER_PORT, waits for GET / and posts invocations.
type host struct {
	base   string
	cmd    *exec.Cmd
	stderr *lockedBuffer
	once   sync.Once
	exit   error
}

// lockedBuffer is a bytes.Buffer safe for the writer goroutine of
// exec.Cmd and the test reading it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
}

func startHost(t *testing.T, env ...string) *host {
	t.Helper()
	port := freePort(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1", azurefunctions.EnvPort+"="+port, "FNKIT_DRAIN_DELAY=0", "FNKIT_GRACE_PERIOD=2s")
	cmd.Env = append(cmd.Env, env...)
	h := &host{base: "http://127.0.0.1:" + port, cmd: cmd, stderr: &lockedBuffer{}}
	cmd.Stderr = h.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := h.stop(); err != nil {
			t.Errorf("custom handler: %v; stderr:\n%s", err, h.stderr)
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(h.base + "/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return h
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET / never answered 200 (last error %v); stderr:\n%s", err, h.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends SIGTERM once and waits for the exit.
func (h *host) stop() error {
	h.once.Do(func() {
		_ = h.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- h.cmd.Wait() }()
		select {
		case h.exit = <-done:
		case <-time.After(10 * time.Second):
			_ = h.cmd.Process.Kill()
			h.exit = errors.New("did not stop within 10 s of SIGTERM")
		}
	})
	return h.exit
}

// invoke posts body to /<function> as the host does.
func (h *host) invoke(t testing.TB, function string, body []byte) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.base+"/"+function, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(azurefunctions.HeaderInvocationID, "inv-"+function)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// reply decodes a 200 response payload.
func reply(t testing.TB, status int, body []byte) azurefunctions.Response {
	t.Helper()
	if status != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", status, body)
	}
	var r azurefunctions.Response
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("reply is not {Outputs,Logs,ReturnValue}: %v: %s", err, body)
	}
	for _, k := range []string{`"Outputs":`, `"Logs":`, `"ReturnValue":`} {
		if !bytes.Contains(body, []byte(k)) {
			t.Fatalf("reply lacks %s: %s", k, body)
		}
	}
	return r
}

func echoed(t testing.TB, status int, body []byte) summary {
	t.Helper()
	r := reply(t, status, body)
	var s summary
	if err := json.Unmarshal(r.ReturnValue, &s); err != nil {
		t.Fatalf("ReturnValue is not the echo summary: %v: %s", err, body)
	}
	return s
}

func TestHostInvokesEveryTrigger(t *testing.T) {
	h := startHost(t)
	tests := []struct {
		function, fixture string
		want              summary
	}{
		{"OnBlobEvent", "eventgrid-cloudevent.json", summary{ID: "9aeb0fdf-c01e-0131-0922-9eb54906e209",
			Source: "/subscriptions/5b4b650e-28b9-4790-b3ab-ddbd88d727c4/resourceGroups/test/providers/Microsoft.Storage/storageAccounts/myaccount",
			Type:   "Microsoft.Storage.BlobCreated", Subject: "blobServices/default/containers/uploads/blobs/photo.jpg",
			Time: "2026-11-18T20:13:45.0124343Z", ContentType: "application/json", Ext: map[string]string{"azuredataschema": "#"}}},
		{"OnBlobEvent", "eventgrid-schema.json", summary{ID: "831e1650-001e-001b-66ab-eeb76e069631",
			Source: "/subscriptions/5b4b650e-28b9-4790-b3ab-ddbd88d727c4/resourceGroups/test/providers/Microsoft.Storage/storageAccounts/myaccount",
			Type:   "Microsoft.Storage.BlobCreated", Subject: "/blobServices/default/containers/uploads/blobs/report.pdf",
			Time: "2026-11-18T20:13:45.0124343Z", ContentType: "application/json", Ext: map[string]string{"dataversion": "2"}}},
		{"OnBlobEvent", "eventgrid-string.json", summary{ID: "order-42", Source: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.EventGrid/topics/orders",
			Type: "Contoso.Orders.Placed", Subject: "orders/42", Time: "2026-11-18T20:13:45Z", ContentType: "application/json",
			Data: `{"orderId":42}`, Ext: map[string]string{"dataversion": "1.0"}}},
		{"OnQueue", "queue.json", summary{ID: "800ae4b3-bdd2-4c08-badd-f08e5a34b865", Source: "/functions/OnQueue", Type: azurefunctions.TypeQueueMessage,
			Time: "2026-11-18T17:58:31Z", ContentType: "text/plain; charset=utf-8", Data: `{ message: "Message sent" }`, Attempt: 1}},
		{"OnQueue", "queue-double.json", summary{ID: "6f1c2a9e-2b7d-4c11-9a55-3e0c1d2b4a77", Source: "/functions/OnQueue", Type: azurefunctions.TypeQueueMessage,
			Time: "2026-11-18T17:58:31Z", ContentType: "application/json", Data: `{"orderId":42,"note":"say \"hi\""}`, Attempt: 3}},
		{"OnOrder", "servicebus.json", summary{ID: "c2f3e8a1b7d94f0e8a6b5c4d3e2f1a0b", Source: "sb://contoso.servicebus.windows.net/orders",
			Type: azurefunctions.TypeServiceBusMessage, Subject: "order.placed", Time: "2026-11-18T09:30:12.345Z", ContentType: "application/json",
			Data: `{"orderId":7,"qty":2}`, Attempt: 2, Ext: map[string]string{"correlationid": "corr-7", "sequence": "1205"}}},
		{"OnBlob", "blob.json", summary{ID: "https://myaccount.blob.core.windows.net/uploads/data.bin#0x8DCF1A2B3C4D5E6",
			Source: "https://myaccount.blob.core.windows.net/uploads/data.bin", Type: azurefunctions.TypeBlobWritten, Subject: "uploads/data.bin",
			Time: "2026-11-18T11:22:33Z", ContentType: "application/octet-stream", Data: "base64:aGVsbG8sIGJsb2IAAf8="}},
		{"Tick", "timer.json", summary{ID: "/functions/Tick@2026-11-18T12:00:00Z", Source: "/functions/Tick", Type: azurefunctions.TypeTimerFired,
			Time: "2026-11-18T12:00:00.0031217Z", ContentType: "application/json"}},
	}
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			st, b := h.invoke(t, tc.function, fixture(t, tc.fixture))
			got := echoed(t, st, b)
			want := tc.want
			want.Platform, want.Function, want.RequestID = azurefunctions.Platform, tc.function, "inv-"+tc.function
			if want.Data == "" {
				want.Data = got.Data // large JSON payloads: checked below
				if !json.Valid([]byte(got.Data)) {
					t.Errorf("data %q is not the JSON payload", got.Data)
				}
			}
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(want)
			if !bytes.Equal(gj, wj) {
				t.Errorf("handler saw\n %s\nwant\n %s", gj, wj)
			}
		})
	}
}

func TestHostEventHubsBatch(t *testing.T) {
	h := startHost(t)
	st, b := h.invoke(t, "OnTelemetry", fixture(t, "eventhubs.json"))
	r := reply(t, st, b)
	var got []summary
	if err := json.Unmarshal(r.ReturnValue, &got); err != nil {
		t.Fatalf("ReturnValue is not the list of replies: %v: %s", err, r.ReturnValue)
	}
	if len(got) != 3 {
		t.Fatalf("%d replies, want 3: %s", len(got), r.ReturnValue)
	}
	for i, want := range []struct{ id, data, ct, key string }{
		{"3-1001", `{"deviceId":"d1","temp":21.5}`, "application/json", "d1"},
		{"3-1002", `{"deviceId":"d2","temp":19.0}`, "application/json", "d2"},
		{"3-1003", "plain telemetry line", "text/plain; charset=utf-8", ""},
	} {
		g := got[i]
		if g.ID != want.id || g.Data != want.data || g.ContentType != want.ct || g.Ext["partitionkey"] != want.key ||
			g.Source != "//contoso.servicebus.windows.net/telemetry/partitions/3" || g.Type != azurefunctions.TypeEventHubsEvent || g.Sync {
			t.Errorf("event %d: %+v, want id %s data %s type %s key %q", i, g, want.id, want.data, want.ct, want.key)
		}
	}
	if got[0].Time != "2026-11-18T10:00:00.001Z" {
		t.Errorf("time %q", got[0].Time)
	}
}

func TestHostHTTPBinding(t *testing.T) {
	h := startHost(t)
	st, b := h.invoke(t, "Items", fixture(t, "http.json"))
	r := reply(t, st, b)
	var res azurefunctions.HTTPResponse
	if err := json.Unmarshal(r.Outputs["res"], &res); err != nil {
		t.Fatalf("Outputs.res: %v: %s", err, r.Outputs["res"])
	}
	if res.StatusCode != http.StatusCreated || res.Headers["X-Item"] != "42" || res.Headers["Content-Type"] != "application/json" {
		t.Fatalf("res = %+v", res)
	}
	var body map[string]string
	if err := json.Unmarshal([]byte(res.Body), &body); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"method": "POST", "path": "/api/items/42", "id": "42", "color": "black", "body": `{"qty":2}`, "trace": "t-1", "platform": azurefunctions.Platform}
	for k, v := range want {
		if body[k] != v {
			t.Errorf("handler saw %s=%q, want %q", k, body[k], v)
		}
	}

	st, b = h.invoke(t, "Bin", fixture(t, "http-binary.json"))
	r = reply(t, st, b)
	res = azurefunctions.HTTPResponse{}
	if err := json.Unmarshal(r.Outputs["res"], &res); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte{0, 1, 2, 3, 0xfe, 0xff})
	if res.Headers["X-Sha256"] != hex.EncodeToString(sum[:]) {
		t.Errorf("binary request body not decoded from base64: digest %s", res.Headers["X-Sha256"])
	}
	if res.Body != "AAEC/v8=" {
		t.Errorf("binary response body %q, want base64 AAEC/v8=", res.Body)
	}
}

func TestHostHTTPForwarding(t *testing.T) {
	h := startHost(t)
	resp, err := http.Post(h.base+"/api/items/7?color=red", "application/json", strings.NewReader(`{"qty":1}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusCreated || body["id"] != "7" || body["color"] != "red" || body["body"] != `{"qty":1}` || body["platform"] != azurefunctions.Platform {
		t.Errorf("forwarded request: %d %v", resp.StatusCode, body)
	}
	// Binary bodies pass byte for byte.
	resp2, err := http.Post(h.base+"/api/Bin", "application/octet-stream", bytes.NewReader([]byte{0, 0xff}))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp2.Body)
	resp2.Body.Close()
	if !bytes.Equal(b, []byte{0, 1, 2, 0xfe, 0xff}) {
		t.Errorf("forwarded binary response %v", b)
	}
}

func TestHostFailuresAreNon2xx(t *testing.T) {
	h := startHost(t)
	queue := func(text string) []byte {
		return []byte(`{"Data":{"message":` + string(must(json.Marshal(text))) + `},"Metadata":{"Id":"m-1","DequeueCount":2}}`)
	}
	tests := []struct {
		name, function string
		body           []byte
		status         int
		detail         string
	}{
		{"permanent", "OnQueue", queue("fail-permanent"), 422, ""},
		{"invalid", "OnQueue", queue("fail-invalid"), 400, "bad order"},
		{"throttled", "OnQueue", queue("fail-throttled"), 429, ""},
		{"retryable", "OnQueue", queue("fail-retry"), 500, ""},
		{"panic", "OnQueue", queue("panic"), 500, ""},
		{"unknown function", "NoSuchFunction", queue("x"), 404, "NoSuchFunction"},
		{"not json", "OnQueue", []byte("hello"), 400, "not a JSON object"},
		{"truncated", "OnQueue", []byte(`{"Data":{"message":"x"`), 400, "not a custom-handler payload"},
		{"no data", "OnQueue", []byte(`{"Metadata":{}}`), 400, "no Data object"},
		{"missing binding", "OnQueue", []byte(`{"Data":{"a":"1","b":"2"},"Metadata":{"Id":"x"}}`), 400, `no binding \"message\"`},
		{"no id", "OnQueue", []byte(`{"Data":{"message":"x"},"Metadata":{}}`), 400, "no Id"},
		{"event grid not object", "OnBlobEvent", []byte(`{"Data":{"event":"[1,2]"}}`), 400, "not a JSON object"},
		{"event grid no type", "OnBlobEvent", []byte(`{"Data":{"event":{"id":"1","topic":"/t"}}}`), 400, "no eventType"},
		{"event grid bad time", "OnBlobEvent", []byte(`{"Data":{"event":{"id":"1","topic":"/t","eventType":"x","eventTime":"yesterday"}}}`), 400, "eventTime"},
		{"cloudevent invalid", "OnBlobEvent", []byte(`{"Data":{"event":{"specversion":"1.0","id":"1","type":"x"}}}`), 400, "source"},
		{"double-encoded garbage", "OnBlobEvent", []byte(`{"Data":{"event":"{\"id\":"}}`), 400, "not a JSON object"},
		{"event hubs failure", "OnTelemetry", []byte(`{"Data":{"events":["ok","fail-retry"]},"Metadata":{"SequenceNumberArray":[1,2]}}`), 500, ""},
		{"event hubs no sequence", "OnTelemetry", []byte(`{"Data":{"events":["ok"]},"Metadata":{}}`), 400, "no sequence number"},
		{"timer no time", "Tick", []byte(`{"Data":{"timer":{"IsPastDue":false}},"Metadata":{}}`), 400, "sys.UtcNow"},
		{"http bad url", "Items", []byte(`{"Data":{"req":{"Url":"","Method":"GET"}}}`), 400, "Url"},
		{"oversized", "OnQueue", queue(strings.Repeat("x", 1<<20)), 413, "larger than"},
		{"oversized batch", "OnTelemetry", bytes.Repeat([]byte(" "), 1<<20+1), 413, "larger than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := h.invoke(t, tc.function, tc.body)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, body)
			}
			if tc.detail != "" && !strings.Contains(string(body), tc.detail) {
				t.Errorf("problem %s does not say %q", body, tc.detail)
			}
		})
	}
	// The host drops a failed invocation's reply logs: failures are on stderr.
	time.Sleep(50 * time.Millisecond)
	for _, want := range []string{`"msg":"event failed"`, `"class":"permanent"`, `"error":"handler: panic: boom"`, `"msg":"invocation refused"`, `"msg":"unknown function"`, `"attempt":2`} {
		if !strings.Contains(h.stderr.String(), want) {
			t.Errorf("stderr lacks %s", want)
		}
	}
	if s, b := h.invoke(t, "OnQueue", queue("fine")); s != 200 {
		t.Errorf("a good invocation after the failures: %d %s", s, b)
	}
	resp, err := http.Get(h.base + "/OnQueue")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /OnQueue: %d, want 405", resp.StatusCode)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestHostDrainOnSIGTERM: when the host stops the custom handler, GET /
// answers 503 during the drain, the invocation in flight completes, and
// the process exits 0.
func TestHostDrainOnSIGTERM(t *testing.T) {
	h := startHost(t, "FNKIT_DRAIN_DELAY=1s")
	type result struct {
		status int
		body   []byte
	}
	done := make(chan result, 1)
	go func() {
		st, b := h.invoke(t, "OnQueue", []byte(`{"Data":{"message":"sleep"},"Metadata":{"Id":"slow-1"}}`))
		done <- result{st, b}
	}()
	time.Sleep(150 * time.Millisecond)
	stopped := make(chan error, 1)
	go func() { stopped <- h.stop() }()
	saw503 := false
	for deadline := time.Now().Add(900 * time.Millisecond); time.Now().Before(deadline) && !saw503; time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get(h.base + "/"); err == nil {
			resp.Body.Close()
			saw503 = resp.StatusCode == http.StatusServiceUnavailable
		}
	}
	if !saw503 {
		t.Error("GET / never answered 503 during the drain")
	}
	r := <-done
	if s := echoed(t, r.status, r.body); s.ID != "slow-1" {
		t.Errorf("in-flight invocation: %+v", s)
	}
	if err := <-stopped; err != nil {
		t.Errorf("exit: %v; stderr:\n%s", err, h.stderr)
	}
}
