package awslambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/handler"
)

func sample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// lambdaCtx is the context aws-lambda-go gives an invocation.
func lambdaCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: "req-1", InvokedFunctionArn: "arn:aws:lambda:us-east-2:123456789012:function:orders"})
	//lint:ignore SA1029 the key aws-lambda-go uses
	return context.WithValue(ctx, "x-amzn-trace-id", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")
}

type orderIn struct {
	OrderID string `json:"orderId" validate:"required"`
	Qty     int    `json:"qty" validate:"min=1"`
}

// batchRecorder is a typed handler that records what it saw and fails the
// orders listed in fail with the given error.
type batchRecorder struct {
	mu    sync.Mutex
	seen  []string
	invs  []handler.Invocation
	infos []Info
	fail  map[string]error
}

func (r *batchRecorder) handler() handler.Handler {
	return handler.Typed(func(ctx context.Context, o orderIn) (orderIn, error) {
		inv, _ := handler.InvocationFrom(ctx)
		info, _ := InfoFrom(ctx)
		r.mu.Lock()
		r.seen = append(r.seen, o.OrderID)
		r.invs = append(r.invs, inv)
		r.infos = append(r.infos, info)
		err := r.fail[o.OrderID]
		r.mu.Unlock()
		return o, err
	})
}

func (r *batchRecorder) saw() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := slices.Clone(r.seen)
	slices.Sort(s)
	return s
}

func failures(t testing.TB, out []byte) []string {
	t.Helper()
	var resp struct {
		BatchItemFailures []struct {
			ItemIdentifier string `json:"itemIdentifier"`
		} `json:"batchItemFailures"`
	}
	if err := json.Unmarshal(out, &resp); err != nil || resp.BatchItemFailures == nil {
		t.Fatalf("not a batch response: %s (%v)", out, err)
	}
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}

func invokeErr(t testing.TB, err error) messages.InvokeResponse_Error {
	t.Helper()
	var ie messages.InvokeResponse_Error
	if !errors.As(err, &ie) {
		t.Fatalf("error %v (%T) is not an InvokeResponse_Error", err, err)
	}
	return ie
}

func TestSQSPartialFailures(t *testing.T) {
	ctx := lambdaCtx(t)
	t.Run("none failed", func(t *testing.T) {
		r := &batchRecorder{}
		out, err := New(r.handler()).Invoke(ctx, sample(t, "sqs.json"))
		if err != nil || string(out) != `{"batchItemFailures":[]}` {
			t.Fatalf("Invoke = %s, %v", out, err)
		}
		if got := r.saw(); !slices.Equal(got, []string{"o-1", "o-2"}) {
			t.Errorf("handled %v", got)
		}
		inv := r.invs[0]
		if inv.Platform != handler.PlatformAWSLambda || inv.RequestID != "req-1" || inv.Deadline.IsZero() || inv.Sync ||
			inv.Function != "arn:aws:lambda:us-east-2:123456789012:function:orders" || !strings.HasPrefix(inv.TraceHeader, "Root=1-5759e988") {
			t.Errorf("invocation = %+v", inv)
		}
		attempts := []int{r.invs[0].Attempt, r.invs[1].Attempt}
		slices.Sort(attempts)
		if !slices.Equal(attempts, []int{1, 3}) {
			t.Errorf("attempts = %v, want ApproximateReceiveCount 1 and 3", attempts)
		}
		var raw struct{ MessageID string }
		if err := json.Unmarshal(r.infos[0].Record, &raw); err != nil || raw.MessageID == "" || r.infos[0].Trigger != events.AWSSQS {
			t.Errorf("Info.Record = %s, trigger %v", r.infos[0].Record, r.infos[0].Trigger)
		}
	})
	t.Run("one failed", func(t *testing.T) {
		r := &batchRecorder{fail: map[string]error{"o-2": errors.New("db down")}}
		out, err := New(r.handler()).Invoke(ctx, sample(t, "sqs.json"))
		if err != nil {
			t.Fatal(err)
		}
		if got := failures(t, out); !slices.Equal(got, []string{"2e1424d4-f796-459a-8184-9c92662be6da"}) {
			t.Errorf("failures = %v", got)
		}
	})
	t.Run("all failed", func(t *testing.T) {
		r := &batchRecorder{fail: map[string]error{"o-1": errors.New("x"), "o-2": handler.Throttled(errors.New("slow"), 0)}}
		_, err := New(r.handler()).Invoke(ctx, sample(t, "sqs.json"))
		ie := invokeErr(t, err)
		if ie.Type != ErrorTypeRetryable || !strings.Contains(ie.Message, "all 2 SQS records failed") {
			t.Errorf("all failed: %+v", ie)
		}
	})
	t.Run("poisoned record", func(t *testing.T) {
		payload := strings.Replace(string(sample(t, "sqs.json")), `"{\"orderId\":\"o-1\",\"qty\":2}"`, `"{\"orderId\":"`, 1)
		r := &batchRecorder{}
		out, err := New(r.handler()).Invoke(ctx, []byte(payload))
		if err != nil {
			t.Fatal(err)
		}
		if got := failures(t, out); !slices.Equal(got, []string{"059f36b4-87a3-44ab-83d2-661975830a7d"}) {
			t.Errorf("failures = %v", got)
		}
		if got := r.saw(); !slices.Equal(got, []string{"o-2"}) {
			t.Errorf("handled %v", got)
		}
	})
}

func TestSQSFIFO(t *testing.T) {
	r := &batchRecorder{fail: map[string]error{"a-2": errors.New("boom")}}
	out, err := New(r.handler()).Invoke(lambdaCtx(t), sample(t, "sqs_fifo.json"))
	if err != nil {
		t.Fatal(err)
	}
	// Group A: a-1 ok, a-2 fails, a-3 is not handled; group B all ok.
	if got := failures(t, out); !slices.Equal(got, []string{"m3", "m4"}) {
		t.Errorf("failures = %v, want m3 (failed) and m4 (later in group A)", got)
	}
	if got := r.saw(); !slices.Equal(got, []string{"a-1", "a-2", "b-1", "b-2"}) {
		t.Errorf("handled %v", got)
	}
	r.mu.Lock()
	var groupA []string
	for _, s := range r.seen {
		if s[0] == 'a' {
			groupA = append(groupA, s)
		}
	}
	r.mu.Unlock()
	if !slices.Equal(groupA, []string{"a-1", "a-2"}) {
		t.Errorf("group A handled out of order: %v", groupA)
	}
}

func TestStreams(t *testing.T) {
	ctx := lambdaCtx(t)
	kin := func(id string) handler.Handler {
		return handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
			if strings.Contains(string(e.Data()), id) {
				return nil, errors.New("fail " + id)
			}
			return nil, nil
		})
	}
	out, err := New(kin("none")).Invoke(ctx, sample(t, "kinesis.json"))
	if err != nil || string(out) != `{"batchItemFailures":[]}` {
		t.Fatalf("none failed: %s %v", out, err)
	}
	out, err = New(kin("k-2")).Invoke(ctx, sample(t, "kinesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got := failures(t, out); !slices.Equal(got, []string{"49590338271490256608559692540925702759324208523137515618"}) {
		t.Errorf("failures = %v", got)
	}
	// In order (default): the first failure stops the batch.
	var calls atomic.Int32
	stop := handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		calls.Add(1)
		return nil, errors.New("all fail")
	})
	out, err = New(stop).Invoke(ctx, sample(t, "dynamodb.json"))
	if err != nil || calls.Load() != 1 {
		t.Fatalf("calls = %d, %v", calls.Load(), err)
	}
	if got := failures(t, out); !slices.Equal(got, []string{"4421584500000000017450439091"}) {
		t.Errorf("all failed (in order) = %v", got)
	}
	// Concurrently: every record runs, the lowest failed is reported.
	calls.Store(0)
	odd := handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		calls.Add(1)
		if e.Type() != events.AWSTypeDynamoDBPrefix+"INSERT" {
			return nil, errors.New("fail")
		}
		return nil, nil
	})
	out, err = New(odd, WithStreamConcurrency(3)).Invoke(ctx, sample(t, "dynamodb.json"))
	if err != nil || calls.Load() != 3 {
		t.Fatalf("calls = %d, %v", calls.Load(), err)
	}
	if got := failures(t, out); !slices.Equal(got, []string{"4421584500000000017450439092"}) {
		t.Errorf("lowest failed = %v", got)
	}
	if !seqLess("999", "1000") || seqLess("1000", "999") || !seqLess("0012", "13") {
		t.Error("seqLess does not compare numerically")
	}
}

func TestSingleEventTriggers(t *testing.T) {
	ctx := lambdaCtx(t)
	for _, name := range []string{"sns.json", "s3.json", "eventbridge.json", "scheduled.json", "s3_eventbridge.json", "kafka_msk.json", "cloudwatchlogs.json"} {
		t.Run(name, func(t *testing.T) {
			var got []event.Event
			var mu sync.Mutex
			h := handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
				mu.Lock()
				got = append(got, e)
				mu.Unlock()
				return nil, nil
			})
			out, err := New(h).Invoke(ctx, sample(t, name))
			if err != nil || string(out) != "null" || len(got) == 0 {
				t.Fatalf("Invoke = %s, %v, %d events", out, err, len(got))
			}
			for _, e := range got {
				if err := e.Validate(); err != nil {
					t.Error(err)
				}
			}
			fail := handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
				return nil, handler.Permanent(errors.New("no"))
			})
			_, err = New(fail).Invoke(ctx, sample(t, name))
			if ie := invokeErr(t, err); ie.Type != ErrorTypePermanent || !strings.Contains(ie.Message, "record 0") {
				t.Errorf("failure = %+v", ie)
			}
		})
	}
}

func TestDeadLetter(t *testing.T) {
	ctx := lambdaCtx(t)
	dlq := events.NewMemory()
	r := &batchRecorder{fail: map[string]error{"o-1": handler.Permanent(errors.New("unknown product")), "o-2": errors.New("transient")}}
	out, err := New(r.handler(), WithDeadLetter(dlq)).Invoke(ctx, sample(t, "sqs.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got := failures(t, out); !slices.Equal(got, []string{"2e1424d4-f796-459a-8184-9c92662be6da"}) {
		t.Errorf("failures = %v: the permanent one must be dead-lettered, the retryable one reported", got)
	}
	dl := dlq.Events()
	if len(dl) != 1 || dl[0].ID() != "059f36b4-87a3-44ab-83d2-661975830a7d" || dl[0].Extensions()[events.ExtErrorClass] != "permanent" ||
		dl[0].Extensions()[events.ExtPlatform] != handler.PlatformAWSLambda {
		t.Errorf("dead letters = %v", dl)
	}
	// A failing dead-letter publisher: the record is reported, not lost.
	bad := events.NewMemory()
	bad.FailWith(func(event.Event) error { return errors.New("dlq down") })
	r = &batchRecorder{fail: map[string]error{"o-1": handler.InvalidInputf("bad")}}
	out, err = New(r.handler(), WithDeadLetter(bad)).Invoke(ctx, sample(t, "sqs.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got := failures(t, out); !slices.Equal(got, []string{"059f36b4-87a3-44ab-83d2-661975830a7d"}) {
		t.Errorf("failures with a failing DLQ = %v", got)
	}
	// Without a dead-letter publisher, a permanent failure is reported failed.
	r = &batchRecorder{fail: map[string]error{"o-1": handler.Permanent(errors.New("no"))}}
	out, _ = New(r.handler()).Invoke(ctx, sample(t, "sqs.json"))
	if got := failures(t, out); !slices.Equal(got, []string{"059f36b4-87a3-44ab-83d2-661975830a7d"}) {
		t.Errorf("failures without DLQ = %v", got)
	}
}

func TestDirectInvoke(t *testing.T) {
	ctx := lambdaCtx(t)
	price := handler.Typed(func(ctx context.Context, o orderIn) (map[string]int, error) {
		switch o.OrderID {
		case "bad":
			return nil, handler.InvalidInputf("unknown order")
		case "gone":
			return nil, handler.Permanent(errors.New("cancelled"))
		case "busy":
			return nil, handler.Throttled(errors.New("busy"), time.Second)
		case "panic":
			panic("kaboom")
		}
		return map[string]int{"total": o.Qty * 10}, nil
	})
	f := New(price)
	out, err := f.Invoke(ctx, sample(t, "direct.json"))
	if err != nil || string(out) != `{"total":30}` {
		t.Fatalf("direct = %s, %v", out, err)
	}
	out, err = f.Invoke(ctx, sample(t, "cloudevent.json"))
	if err != nil {
		t.Fatal(err)
	}
	var reply event.Event
	if err := json.Unmarshal(out, &reply); err != nil || reply.Type() != "com.example.order.price.reply" || string(reply.Data()) != `{"total":30}` {
		t.Errorf("CloudEvent reply = %s (%v)", out, err)
	}
	for in, want := range map[string]string{
		`{"orderId":"bad","qty":1}`: ErrorTypeInvalidInput, `{"orderId":"gone","qty":1}`: ErrorTypePermanent,
		`{"orderId":"busy","qty":1}`: ErrorTypeThrottled, `{"orderId":"panic","qty":1}`: ErrorTypeRetryable,
		`{"orderId":"x","qty":0}`: ErrorTypeInvalidInput, `"just a string"`: ErrorTypeInvalidInput,
	} {
		_, err := f.Invoke(ctx, []byte(in))
		if ie := invokeErr(t, err); ie.Type != want {
			t.Errorf("%s: errorType %q (%s), want %q", in, ie.Type, ie.Message, want)
		}
	}
	var seen handler.Invocation
	capture := handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		seen, _ = handler.InvocationFrom(ctx)
		if e.ID() != "req-1" || e.Source() != "arn:aws:lambda:us-east-2:123456789012:function:orders" || e.Type() != "my.type" {
			return nil, fmt.Errorf("event %v", e)
		}
		return nil, nil
	})
	g := New(capture, WithInvokeType("my.type"))
	if out, err := g.Invoke(ctx, []byte(`[1,2]`)); err != nil || string(out) != "null" || !seen.Sync || !seen.ColdStart {
		t.Errorf("direct with no reply = %s, %v, %+v", out, err, seen)
	}
	if _, err := g.Invoke(ctx, []byte(`[1,2]`)); err != nil || seen.ColdStart {
		t.Errorf("second invocation is a cold start: %+v", seen)
	}
}

func TestBadPayloads(t *testing.T) {
	ctx := lambdaCtx(t)
	h := handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) { return nil, nil })
	cases := map[string]struct {
		f       *Function
		payload string
		want    string
	}{
		"unknown records":  {New(h), `{"Records":[{"eventSource":"aws:ses"}]}`, `Records[0].eventSource "aws:ses" is not a known AWS trigger`},
		"truncated":        {New(h), `{"Records":[{"eventSource":"aws:sqs",`, "truncated JSON"},
		"not JSON":         {New(h), `<xml/>`, "payload is not JSON"},
		"too large":        {New(h, WithMaxPayloadBytes(10)), `{"orderId":"o-123456789"}`, "payload too large: 25 bytes, over the limit of 10"},
		"pinned":           {New(h, WithTrigger(events.AWSSQS)), string(sample(t, "sns.json")), "the function takes sqs payloads, this one is sns"},
		"no direct":        {New(h, WithoutDirectInvoke()), `{"a":1}`, "direct invocations are refused"},
		"http only":        {NewHTTP(http.NotFoundHandler()), string(sample(t, "sqs.json")), "serves HTTP only"},
		"bad structured":   {New(h), `{"specversion":"1.0","id":""}`, "invalid structured CloudEvent"},
		"bad gzip":         {New(h), `{"awslogs":{"data":"aGVsbG8="}}`, "does not inflate"},
		"sqs not an array": {New(h), `{"Records":{"eventSource":"aws:sqs"}}`, "Records"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := c.f.Invoke(ctx, []byte(c.payload))
			ie := invokeErr(t, err)
			if ie.Type != ErrorTypeInvalidInput || !strings.Contains(ie.Message, c.want) {
				t.Errorf("error = %+v, want InvalidInput containing %q", ie, c.want)
			}
		})
	}
	// Kinesis with one record of bad base64: only that one fails.
	bad := strings.Replace(string(sample(t, "kinesis.json")), "eyJvcmRlcklkIjoiay0yIiwicXR5IjoyfQ==", "!!!", 1)
	out, err := New(h).Invoke(ctx, []byte(bad))
	if err != nil {
		t.Fatal(err)
	}
	if got := failures(t, out); !slices.Equal(got, []string{"49590338271490256608559692540925702759324208523137515618"}) {
		t.Errorf("bad base64 failures = %v", got)
	}
}

func TestStartWithoutRuntimeAPI(t *testing.T) {
	t.Setenv("AWS_LAMBDA_RUNTIME_API", "")
	h := handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) { return nil, nil })
	if err := Start(h); !errors.Is(err, ErrNoRuntimeAPI) {
		t.Errorf("Start = %v, want ErrNoRuntimeAPI", err)
	}
	if err := StartHTTP(http.NotFoundHandler()); !errors.Is(err, ErrNoRuntimeAPI) {
		t.Errorf("StartHTTP = %v", err)
	}
}

func TestOptionsPanic(t *testing.T) {
	for name, fn := range map[string]func(){
		"New(nil)": func() { New(nil) }, "NewHTTP(nil)": func() { NewHTTP(nil) }, "concurrency": func() { WithConcurrency(0) },
		"stream": func() { WithStreamConcurrency(0) }, "payload": func() { WithMaxPayloadBytes(0) }, "dlq": func() { WithDeadLetter(nil) },
		"trigger": func() { WithTrigger(events.AWSUnknown) }, "http": func() { WithHTTPHandler(nil) }, "type": func() { WithInvokeType("") },
		"logger": func() { WithLogger(nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", name)
				}
			}()
			fn()
		}()
	}
}

func TestFailedRecordsAreLogged(t *testing.T) {
	var buf strings.Builder
	var mu sync.Mutex
	logger := slog.New(slog.NewJSONHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	}), nil))
	r := &batchRecorder{fail: map[string]error{"o-2": handler.Permanent(errors.New("unknown sku"))}}
	if _, err := New(r.handler(), WithLogger(logger)).Invoke(lambdaCtx(t), sample(t, "sqs.json")); err != nil {
		t.Fatal(err)
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(buf.String()), &line); err != nil {
		t.Fatalf("log = %q (%v)", buf.String(), err)
	}
	if line["msg"] != "record failed" || line["level"] != "WARN" || line["trigger"] != "sqs" || line["record"] != 1.0 ||
		line["item_id"] != "2e1424d4-f796-459a-8184-9c92662be6da" || line["class"] != "permanent" || !strings.Contains(line["error"].(string), "unknown sku") ||
		line["request_id"] != "req-1" {
		t.Errorf("log line = %v", line)
	}
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestEventsOutliveThePayloadBuffer: aws-lambda-go reuses the payload's
// buffer; an event a handler keeps must not change with it.
func TestEventsOutliveThePayloadBuffer(t *testing.T) {
	var kept []event.Event
	var info []Info
	h := handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		kept = append(kept, e)
		in, _ := InfoFrom(ctx)
		info = append(info, in)
		return nil, nil
	})
	f := New(h)
	for _, name := range []string{"s3.json", "direct.json", "eventbridge.json"} {
		buf := sample(t, name)
		if _, err := f.Invoke(lambdaCtx(t), buf); err != nil {
			t.Fatal(err)
		}
		for i := range buf {
			buf[i] = 'x' // the runtime's next payload
		}
	}
	if !strings.Contains(string(kept[0].Data()), `"eventName": "ObjectCreated:Put"`) || string(kept[1].Data()) != "{\"orderId\":\"o-5\",\"qty\":3}\n" ||
		!strings.Contains(string(info[2].Record), `"detail-type": "OrderPlaced"`) {
		t.Errorf("kept data changed with the payload buffer: %q / %q / %q", kept[0].Data(), kept[1].Data(), info[2].Record)
	}
}
