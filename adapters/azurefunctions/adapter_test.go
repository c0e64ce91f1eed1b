package azurefunctions_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/adapters/azurefunctions"
	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/handler"
)

var quiet = azurefunctions.WithLogger(slog.New(slog.DiscardHandler))

// serve runs New(fns, opts...) on a loopback server.
func serve(t *testing.T, fns []azurefunctions.Function, opts ...azurefunctions.Option) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(azurefunctions.New(fns, append([]azurefunctions.Option{quiet}, opts...)...))
	t.Cleanup(srv.Close)
	return srv
}

func post(t testing.TB, url, body string) (int, []byte) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func queueBody(text string, dequeue int) string {
	b, _ := json.Marshal(text)
	return `{"Data":{"message":` + string(b) + `},"Metadata":{"Id":"m-` + text + `","DequeueCount":` + string(must(json.Marshal(dequeue))) + `}}`
}

func TestDeadLetterAcknowledgesFailuresForGood(t *testing.T) {
	dlq := events.NewMemory()
	srv := serve(t, []azurefunctions.Function{azurefunctions.StorageQueue("Q", "orders", handler.Func(echo))}, azurefunctions.WithDeadLetter(dlq))
	st, body := post(t, srv.URL+"/Q", queueBody("fail-permanent", 4))
	reply(t, st, body)
	got := dlq.Events()
	if len(got) != 1 {
		t.Fatalf("%d dead letters, want 1", len(got))
	}
	e := got[0]
	ext := e.Extensions()
	if e.ID() != "m-fail-permanent" || ext[events.ExtErrorClass] != "permanent" || ext[events.ExtAttempt] != "4" || ext[events.ExtPlatform] != azurefunctions.Platform {
		t.Errorf("dead letter %s with %v", e.ID(), ext)
	}
	// Retryable failures are not dead-lettered: they fail, the queue retries.
	if st, _ := post(t, srv.URL+"/Q", queueBody("fail-retry", 1)); st != http.StatusInternalServerError {
		t.Errorf("retryable: %d, want 500", st)
	}
	if dlq.Len() != 1 {
		t.Errorf("a retryable failure was dead-lettered")
	}
	// A dead letter that cannot be published fails the invocation: nothing is lost.
	dlq.FailWith(func(event.Event) error { return errors.New("sink down") })
	if st, _ := post(t, srv.URL+"/Q", queueBody("fail-invalid", 1)); st != http.StatusInternalServerError {
		t.Errorf("failed dead letter: %d, want 500", st)
	}
}

func TestFunctionDeadLetterOverridesAndBatchGoesOn(t *testing.T) {
	appDLQ, fnDLQ := events.NewMemory(), events.NewMemory()
	srv := serve(t, []azurefunctions.Function{
		azurefunctions.EventHubs("Hub", "telemetry", handler.Func(echo), azurefunctions.WithFunctionDeadLetter(fnDLQ)),
	}, azurefunctions.WithDeadLetter(appDLQ))
	st, body := post(t, srv.URL+"/Hub", `{"Data":{"events":["a","fail-permanent","c"]},"Metadata":{"SequenceNumberArray":[1,2,3],"PartitionContext":{"EventHubName":"t","PartitionId":"0"}}}`)
	r := reply(t, st, body)
	var replies []summary
	if err := json.Unmarshal(r.ReturnValue, &replies); err != nil || len(replies) != 2 || replies[1].ID != "0-3" {
		t.Fatalf("replies %s (%v)", r.ReturnValue, err)
	}
	if fnDLQ.Len() != 1 || appDLQ.Len() != 0 || fnDLQ.Events()[0].ID() != "0-2" {
		t.Errorf("function dead letter got %d, app %d", fnDLQ.Len(), appDLQ.Len())
	}
	// Without a dead letter a failure for good stops the batch: 422.
	srv2 := serve(t, []azurefunctions.Function{azurefunctions.EventHubs("Hub", "telemetry", handler.Func(echo))})
	if st, b := post(t, srv2.URL+"/Hub", `{"Data":{"events":["fail-permanent","b"]},"Metadata":{"SequenceNumberArray":[1,2]}}`); st != http.StatusUnprocessableEntity {
		t.Errorf("batch with a permanent failure: %d %s", st, b)
	}
}

func TestInvocationMetadata(t *testing.T) {
	var seen []handler.Invocation
	h := handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		inv, _ := handler.InvocationFrom(ctx)
		seen = append(seen, inv)
		return nil, nil
	})
	srv := serve(t, []azurefunctions.Function{azurefunctions.StorageQueue("Q", "q", h)})
	for range 2 {
		st, body := post(t, srv.URL+"/q", queueBody("x", 1)) // names are case-insensitive
		r := reply(t, st, body)
		if string(r.ReturnValue) != "null" && r.ReturnValue != nil {
			t.Errorf("no reply should give a null ReturnValue, got %s", r.ReturnValue)
		}
	}
	if len(seen) != 2 || !seen[0].ColdStart || seen[1].ColdStart || seen[0].Sync || seen[0].Function != "Q" || seen[0].Platform != azurefunctions.Platform || seen[0].Attempt != 1 {
		t.Errorf("invocations %+v", seen)
	}
}

func TestWithOutputAndTimeout(t *testing.T) {
	slow := handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	srv := serve(t, []azurefunctions.Function{
		azurefunctions.StorageQueue("Q", "q", handler.Func(echo), azurefunctions.WithOutput("outqueue")),
		azurefunctions.StorageQueue("Slow", "q", slow),
	}, azurefunctions.WithTimeout(50*time.Millisecond))
	st, body := post(t, srv.URL+"/Q", queueBody("hello", 1))
	r := reply(t, st, body)
	var s summary
	if err := json.Unmarshal(r.Outputs["outqueue"], &s); err != nil || s.Data != "hello" || (r.ReturnValue != nil && string(r.ReturnValue) != "null") {
		t.Errorf("Outputs %v ReturnValue %s", r.Outputs, r.ReturnValue)
	}
	start := time.Now()
	if st, _ := post(t, srv.URL+"/Slow", queueBody("x", 1)); st != http.StatusGatewayTimeout {
		t.Errorf("timed out invocation: %d, want 504", st)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("timeout took %v", d)
	}
}

func TestForwardedRoutesAndMethods(t *testing.T) {
	var hits atomic.Int64
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.WriteString(w, r.Method+" "+r.PathValue("path"))
	})
	srv := serve(t, []azurefunctions.Function{
		azurefunctions.HTTP("API", api, azurefunctions.WithRoute("v1/{*path}"), azurefunctions.WithMethods("GET", "POST")),
	}, azurefunctions.WithRoutePrefix(""))
	resp, err := http.Get(srv.URL + "/v1/orders/42/lines")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "GET orders/42/lines" {
		t.Errorf("catch-all route: %q", b)
	}
	req, _ := http.NewRequest(http.MethodDelete, srv.URL+"/v1/x", nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || hits.Load() != 1 {
		t.Errorf("DELETE on a GET, POST function: %d (hits %d)", resp.StatusCode, hits.Load())
	}
	// The binding payload path obeys the methods too, inside the HTTP output.
	st, body := post(t, srv.URL+"/API", `{"Data":{"req":{"Url":"http://x/v1/x","Method":"DELETE","Headers":{}}}}`)
	r := reply(t, st, body)
	var res azurefunctions.HTTPResponse
	_ = json.Unmarshal(r.Outputs["res"], &res)
	if res.StatusCode != http.StatusMethodNotAllowed || res.Headers["Allow"] != "GET, POST" {
		t.Errorf("binding DELETE: %+v", res)
	}
}

func TestHTTPBindingHeaderAndBodyShapes(t *testing.T) {
	var got *http.Request
	var gotBody string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		w.Header().Add("Set-Cookie", "a=1")
		w.Header().Add("Set-Cookie", "b=2")
		_, _ = io.WriteString(w, "ok")
	})
	srv := serve(t, []azurefunctions.Function{azurefunctions.HTTP("H", h, azurefunctions.WithOutput("$return"))})
	// Headers as single strings, a JSON object body (not a string).
	st, body := post(t, srv.URL+"/H", `{"Data":{"req":{"Url":"https://app.azurewebsites.net/api/H?q=1","Method":"PUT","Headers":{"X-One":"1","Content-Type":"application/json"},"Body":{"a":1}}}}`)
	r := reply(t, st, body)
	if got.Method != http.MethodPut || got.Header.Get("X-One") != "1" || gotBody != `{"a":1}` || got.URL.Query().Get("q") != "1" {
		t.Errorf("request %s %v %q", got.Method, got.Header, gotBody)
	}
	var res azurefunctions.HTTPResponse
	if err := json.Unmarshal(r.ReturnValue, &res); err != nil || res.Body != "ok" || res.Headers["Set-Cookie"] != "a=1, b=2" {
		t.Errorf("ReturnValue %s", r.ReturnValue)
	}
	for _, bad := range []string{
		`{"Data":{"req":"not an object"}}`,
		`{"Data":{"req":{"Url":"::bad","Method":"GET"}}}`,
		`{"Data":{"req":{"Url":"http://x/","Method":"GET","Body":"\u"}}}`,
		`{"Data":{"req":{"Url":"http://x/","Method":"BAD METHOD"}}}`,
	} {
		if st, b := post(t, srv.URL+"/H", bad); st != http.StatusBadRequest || !strings.Contains(string(b), "bad invocation payload") {
			t.Errorf("%s: %d %s", bad, st, b)
		}
	}
}

func TestRequestFrom(t *testing.T) {
	var props []string
	h := handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		req, ok := azurefunctions.RequestFrom(ctx)
		if !ok {
			return nil, errors.New("no request in the context")
		}
		props = append(props, req.MetaString("UserProperties"), req.MetaString("PopReceipt"))
		return nil, nil
	})
	srv := serve(t, []azurefunctions.Function{azurefunctions.ServiceBus("S", "q", h), azurefunctions.EventHubs("H", "h", h)})
	st, b := post(t, srv.URL+"/S", string(fixture(t, "servicebus.json")))
	reply(t, st, b)
	st, b = post(t, srv.URL+"/H", `{"Data":{"events":["a"]},"Metadata":{"SequenceNumberArray":[1],"PopReceipt":"p"}}`)
	reply(t, st, b)
	if len(props) != 4 || props[0] != `{"tenant":"contoso"}` || props[3] != "p" {
		t.Errorf("RequestFrom gave %q", props)
	}
	if _, ok := azurefunctions.RequestFrom(context.Background()); ok {
		t.Error("RequestFrom outside an invocation")
	}
}

func TestHTTPBindingPanicFails(t *testing.T) {
	srv := serve(t, []azurefunctions.Function{azurefunctions.HTTP("P", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))})
	if st, b := post(t, srv.URL+"/P", `{"Data":{"req":{"Url":"http://x/api/P","Method":"GET"}}}`); st != http.StatusInternalServerError {
		t.Errorf("panicking HTTP function: %d %s", st, b)
	}
}

func TestEventGridHandshake(t *testing.T) {
	var delivered atomic.Int64
	inner := httpserver.New(handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		delivered.Add(1)
		return nil, nil
	}))
	srv := httptest.NewServer(azurefunctions.WithEventGridHandshake(inner, "120"))
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/events", nil)
	req.Header.Set("WebHook-Request-Origin", "eventgrid.azure.net")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("WebHook-Allowed-Origin") != "eventgrid.azure.net" || resp.Header.Get("WebHook-Allowed-Rate") != "120" {
		t.Errorf("OPTIONS handshake: %d %v", resp.StatusCode, resp.Header)
	}

	validation := `[{"id":"2d1781af-3a4c-4d7c-bd0c-e34b19da4e66","topic":"/subscriptions/x","subject":"","data":{"validationCode":"512d38b6-c7b8-40c8-89fe-f46f9e9622b6","validationUrl":"https://rp-eastus2.eventgrid.azure.net/..."},"eventType":"Microsoft.EventGrid.SubscriptionValidationEvent","eventTime":"2026-11-18T22:12:19.4556811Z","metadataVersion":"1","dataVersion":"1"}]`
	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/events", strings.NewReader(validation))
	req.Header.Set("aeg-event-type", "SubscriptionValidation")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != `{"validationResponse":"512d38b6-c7b8-40c8-89fe-f46f9e9622b6"}` {
		t.Errorf("validation: %d %s", resp.StatusCode, b)
	}
	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/events", strings.NewReader(`[{"data":{}}]`))
	req.Header.Set("aeg-event-type", "SubscriptionValidation")
	resp, _ = http.DefaultClient.Do(req)
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(b), "validationCode") {
		t.Errorf("bad validation: %d %s", resp.StatusCode, b)
	}

	// Everything else reaches the wrapped handler unchanged.
	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/events", strings.NewReader(`{"specversion":"1.0","id":"1","source":"/s","type":"t"}`))
	req.Header.Set("Content-Type", "application/cloudevents+json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || delivered.Load() != 1 {
		t.Errorf("delivery through the wrapper: %d, delivered %d", resp.StatusCode, delivered.Load())
	}
}

func TestMetadataDoubleEncoding(t *testing.T) {
	req, err := azurefunctions.ParseRequest([]byte(`{"Data":{},"Metadata":{
		"a":"plain","b":"\"quoted\"","c":7,"d":"8","e":"\"9\"","f":null,"g":{"x":1},"h":"\"unterminated",
		"t1":"2026-11-18T17:58:31+00:00","t2":"\"2026-11-18T17:58:31Z\"","t3":"2026-11-18T17:58:31.1234567","t4":"soon"}}`))
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"a": "plain", "b": "quoted", "c": "7", "d": "8", "e": "9", "f": "", "g": "", "h": `"unterminated`, "missing": ""} {
		if got := req.MetaString(k); got != want {
			t.Errorf("MetaString(%s) = %q, want %q", k, got, want)
		}
	}
	for k, want := range map[string]int64{"c": 7, "d": 8, "e": 9} {
		if got, ok := req.MetaInt(k); !ok || got != want {
			t.Errorf("MetaInt(%s) = %d %v", k, got, ok)
		}
	}
	if _, ok := req.MetaInt("a"); ok {
		t.Error("MetaInt of text")
	}
	for _, k := range []string{"t1", "t2", "t3"} {
		if tm, ok := req.MetaTime(k); !ok || tm.Year() != 2026 || tm.Second() != 31 {
			t.Errorf("MetaTime(%s) = %v %v", k, tm, ok)
		}
	}
	if _, ok := req.MetaTime("t4"); ok {
		t.Error("MetaTime of text")
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Setenv(azurefunctions.EnvPort, "")
	c, err := azurefunctions.ConfigFromEnv()
	if err != nil || c.Addr() != "127.0.0.1:8080" {
		t.Errorf("unset: %v %q", err, c.Addr())
	}
	t.Setenv(azurefunctions.EnvPort, "34567")
	if c, err := azurefunctions.ConfigFromEnv(); err != nil || c.Addr() != "127.0.0.1:34567" {
		t.Errorf("set: %v %q", err, c.Addr())
	}
	t.Setenv(azurefunctions.EnvPort, "http")
	if _, err := azurefunctions.ConfigFromEnv(); err == nil || !strings.Contains(err.Error(), azurefunctions.EnvPort) {
		t.Errorf("bad port: %v", err)
	}
}

func TestWiringMistakesPanic(t *testing.T) {
	h := handler.Func(echo)
	for name, f := range map[string]func(){
		"no functions": func() { azurefunctions.New(nil) },
		"duplicate name": func() {
			azurefunctions.New([]azurefunctions.Function{azurefunctions.EventGrid("A", h), azurefunctions.Timer("a", "* * * * * *", h)})
		},
		"bad name":      func() { azurefunctions.EventGrid("a/b", h) },
		"nil handler":   func() { azurefunctions.EventGrid("a", nil) },
		"nil http":      func() { azurefunctions.HTTP("a", nil) },
		"auth level":    func() { azurefunctions.WithAuthLevel("root") },
		"property name": func() { azurefunctions.WithBindingProperty("type", "x") },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		})
	}
}
