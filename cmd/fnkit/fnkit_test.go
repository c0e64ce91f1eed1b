package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/adapters/httpserver"
	fnevents "github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/handler"
)

// cli runs the CLI in-process.
func cli(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestEventsSamplesAreRealShaped(t *testing.T) {
	decodeAs := map[string]func([]byte) error{
		"sqs": func(b []byte) error {
			var e events.SQSEvent
			if err := json.Unmarshal(b, &e); err != nil || e.Records[0].EventSource != "aws:sqs" || e.Records[0].Body != "hello" {
				return errors.New("not an SQS event with the body")
			}
			return nil
		},
		"s3": func(b []byte) error {
			var e events.S3Event
			if err := json.Unmarshal(b, &e); err != nil || e.Records[0].S3.Bucket.Name != "photos" || e.Records[0].S3.Object.Key != "a+b.png" {
				return errors.New("not an S3 event with the bucket and the (URL-encoded) key")
			}
			return nil
		},
		"apigw-v2": func(b []byte) error {
			var e events.APIGatewayV2HTTPRequest
			if err := json.Unmarshal(b, &e); err != nil || e.Version != "2.0" || e.RequestContext.HTTP.Method != "POST" || e.Body != "hello" {
				return errors.New("not an HTTP API request")
			}
			return nil
		},
		"pubsub": func(b []byte) error {
			e, attempt, err := fnevents.FromPubSubPush(b, "")
			if err != nil || attempt != 1 || !strings.Contains(string(e.Data()), "aGVsbG8=") {
				return errors.New("not a push delivery fnkit decodes")
			}
			return nil
		},
	}
	for name := range samples {
		t.Run(name, func(t *testing.T) {
			args := []string{"events", name, "--body", "hello", "--bucket", "photos", "--key", "a b.png"}
			if name == "eventbridge" || name == "cloudevent" {
				args = []string{"events", name, "--body", `{"x":1}`}
			}
			code, out, errs := cli(t, "", args...)
			if code != exitOK || !json.Valid([]byte(out)) {
				t.Fatalf("exit %d, stderr %q, output not JSON:\n%s", code, errs, out)
			}
			if check, ok := decodeAs[name]; ok {
				if err := check([]byte(out)); err != nil {
					t.Fatalf("%v:\n%s", err, out)
				}
			}
			if name == "cloudevent" || name == "storage" {
				var e event.Event
				if err := json.Unmarshal([]byte(out), &e); err != nil || e.Validate() != nil {
					t.Fatalf("not a valid CloudEvent: %v\n%s", err, out)
				}
			}
		})
	}
}

func TestEventsBadUsage(t *testing.T) {
	if code, _, errs := cli(t, "", "events", "sqs-fifo"); code != exitUsage || !strings.Contains(errs, "unknown source") || !strings.Contains(errs, "eventbridge") {
		t.Fatalf("unknown source: %d %q", code, errs)
	}
	if code, _, _ := cli(t, "", "events"); code != exitUsage {
		t.Fatalf("no source: %d", code)
	}
	if code, _, errs := cli(t, "", "events", "eventbridge", "--body", "not json"); code != exitUsage || !strings.Contains(errs, "--body must be JSON") {
		t.Fatalf("bad detail: %d %q", code, errs)
	}
	if code, _, errs := cli(t, "", "events", "sqs", "--nope"); code != exitUsage || !strings.Contains(errs, "nope") {
		t.Fatalf("bad flag: %d %q", code, errs)
	}
	if code, _, errs := cli(t, "", "frobnicate"); code != exitUsage || !strings.Contains(errs, `unknown command "frobnicate"`) {
		t.Fatalf("unknown command: %d %q", code, errs)
	}
	if code, out, _ := cli(t, "", "help"); code != exitOK || !strings.Contains(out, "fnkit invoke") {
		t.Fatalf("help: %d %q", code, out)
	}
}

// echoServer is a real function on loopback: httpserver with a handler
// that echoes the event, or fails with invalid input for data "bad".
func echoServer(t *testing.T) (string, *[]event.Event) {
	t.Helper()
	var mu sync.Mutex
	var got []event.Event
	h := handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		mu.Lock()
		got = append(got, e)
		mu.Unlock()
		if string(e.Data()) == `"bad"` {
			return nil, handler.InvalidInput(errors.New("bad order"))
		}
		r := e.Clone()
		r.SetType(e.Type() + ".reply")
		return &r, nil
	})
	srv := httptest.NewServer(httpserver.New(h))
	t.Cleanup(srv.Close)
	return srv.URL, &got
}

func TestInvokeModes(t *testing.T) {
	url, got := echoServer(t)
	code, out, errs := cli(t, `{"name":"Ada"}`, "invoke", "--url", url, "--type", "com.example.greet", "--id", "i-1", "-")
	if code != exitOK || !strings.Contains(out, "200 OK") || !strings.Contains(out, "Ce-Type: com.example.greet.reply") || !strings.Contains(out, `{"name":"Ada"}`) {
		t.Fatalf("binary: %d %q %q", code, out, errs)
	}
	if e := (*got)[0]; e.ID() != "i-1" || e.Type() != "com.example.greet" || e.Source() != "/fnkit/invoke" {
		t.Fatalf("the function got %s", e)
	}
	// A structured CloudEvent from "fnkit events", in structured mode.
	_, sample, _ := cli(t, "", "events", "cloudevent", "--body", `{"n":1}`)
	file := filepath.Join(t.TempDir(), "e.json")
	if err := os.WriteFile(file, []byte(sample), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs = cli(t, "", "invoke", "--url", url, "--mode", "structured", file)
	if code != exitOK || !strings.Contains(out, "application/cloudevents+json") || !strings.Contains(out, `"com.example.hello.reply"`) {
		t.Fatalf("structured: %d %q %q", code, out, errs)
	}
	if e := (*got)[1]; e.ID() != "42" || string(e.Data()) != `{"n":1}` {
		t.Fatalf("the function got %s", e)
	}
	// Plain: the data as a JSON POST, the id as Idempotency-Key.
	code, out, errs = cli(t, `{"q":2}`, "invoke", "--url", url, "--mode", "plain", "--id", "k-9", "-")
	if code != exitOK || !strings.Contains(out, `{"q":2}`) {
		t.Fatalf("plain: %d %q %q", code, out, errs)
	}
	if e := (*got)[2]; e.ID() != "k-9" || e.Type() != httpserver.DefaultPlainType {
		t.Fatalf("the function got %s", e)
	}
}

func TestInvokeFailures(t *testing.T) {
	url, _ := echoServer(t)
	code, out, errs := cli(t, `"bad"`, "invoke", "--url", url, "-")
	if code != exitFailed || !strings.Contains(out, "400 Bad Request") || !strings.Contains(out, "bad order") || !strings.Contains(errs, "answered 400") {
		t.Fatalf("non-2xx: %d %q %q", code, out, errs)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	if code, _, errs := cli(t, "{}", "invoke", "--url", dead, "-"); code != exitIO || !strings.Contains(errs, "cannot reach the function") {
		t.Fatalf("unreachable: %d %q", code, errs)
	}
	if code, _, errs := cli(t, "", "invoke", "--url", url, filepath.Join(t.TempDir(), "missing.json")); code != exitIO || !strings.Contains(errs, "reading the event") {
		t.Fatalf("unreadable: %d %q", code, errs)
	}
	for name, args := range map[string][]string{
		"bad mode":         {"invoke", "--mode", "avro"},
		"bad header":       {"invoke", "--header", "novalue"},
		"two inputs":       {"invoke", "a.json", "b.json"},
		"input not JSON":   {"invoke", "--url", url, "-"},
		"broken structure": {"invoke", "--url", url, "-"},
	} {
		stdin := "not json"
		if name == "broken structure" {
			stdin = `{"specversion":"1.0","id":""}`
		}
		if code, _, errs := cli(t, stdin, args...); code != exitUsage || errs == "" {
			t.Errorf("%s: exit %d, stderr %q", name, code, errs)
		}
	}
}
