package sqspub_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/events/publishertest"
	"github.com/fnkit/fnkit/events/sqspub"
	"github.com/fnkit/fnkit/handler"
)

// client returns a real SDK client for the loopback server; attempts is
// the SDK's RetryMaxAttempts (0: its default of 3).
func client(s *server, attempts int) *sqs.Client {
	return sqs.New(sqs.Options{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		BaseEndpoint:     aws.String(s.srv.URL),
		RetryMaxAttempts: attempts,
	})
}

// consumer reads a queue as a consumer would: ReceiveMessage, decode the
// body as a structured-mode CloudEvent, DeleteMessageBatch.
type consumer struct {
	c   *sqs.Client
	url string
	mu  sync.Mutex
	got []event.Event
	raw []types.Message
}

func (c *consumer) received(t *testing.T) []event.Event {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		out, err := c.c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: &c.url, MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatalf("ReceiveMessage: %v", err)
		}
		if len(out.Messages) == 0 {
			break
		}
		del := &sqs.DeleteMessageBatchInput{QueueUrl: &c.url}
		for i, m := range out.Messages {
			var e event.Event
			if err := json.Unmarshal([]byte(*m.Body), &e); err != nil {
				t.Fatalf("message %s is not a structured CloudEvent: %v\n%s", *m.MessageId, err, *m.Body)
			}
			c.got = append(c.got, e)
			c.raw = append(c.raw, m)
			del.Entries = append(del.Entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), ReceiptHandle: m.ReceiptHandle})
		}
		res, err := c.c.DeleteMessageBatch(context.Background(), del)
		if err != nil || len(res.Failed) > 0 {
			t.Fatalf("DeleteMessageBatch: %v %+v", err, res)
		}
	}
	return append([]event.Event(nil), c.got...)
}

func newEvent(id string) event.Event {
	e := event.New()
	e.SetID(id)
	e.SetSource("/orders")
	e.SetType("com.example.order.created")
	_ = e.SetData("application/json", []byte(`{"id":"`+id+`"}`))
	return e
}

func ids(evs []event.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID()
	}
	return out
}

func setup(t *testing.T, queueName string, attempts int, opts ...sqspub.Option) (*server, *sqspub.Publisher, *consumer) {
	t.Helper()
	s := newServer(t)
	url := s.queue(queueName)
	c := client(s, attempts)
	p, err := sqspub.New(c, url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return s, p, &consumer{c: c, url: url}
}

func TestConformance(t *testing.T) {
	publishertest.Run(t, func(t *testing.T) publishertest.Target {
		s, p, c := setup(t, "conformance", 0)
		t.Cleanup(func() {
			if n := s.unsigned.Load(); n > 0 {
				t.Errorf("%d requests were not SigV4 signed", n)
			}
		})
		return publishertest.Target{Publisher: p, Received: func() []event.Event { return c.received(t) }}
	})
}

func TestConformanceFIFO(t *testing.T) {
	publishertest.Run(t, func(t *testing.T) publishertest.Target {
		_, p, c := setup(t, "conformance.fifo", 0)
		return publishertest.Target{Publisher: p, Received: func() []event.Event { return c.received(t) }}
	})
}

func TestBatchesOfTen(t *testing.T) {
	s, p, c := setup(t, "batches", 0)
	var evs []event.Event
	for i := range 25 {
		evs = append(evs, newEvent(fmt.Sprintf("e%02d", i)))
	}
	if err := p.Publish(context.Background(), evs...); err != nil {
		t.Fatal(err)
	}
	if got := s.ops(); !reflect.DeepEqual(got, []string{"SendMessageBatch", "SendMessageBatch", "SendMessageBatch"}) {
		t.Errorf("calls = %v, want three SendMessageBatch (10, 10, 5)", got)
	}
	if got := ids(c.received(t)); !reflect.DeepEqual(got, ids(evs)) {
		t.Errorf("received %v, want %v in order", got, ids(evs))
	}
	if body := *c.raw[0].Body; !strings.Contains(body, `"data":{"id":"e00"}`) || !strings.Contains(body, `"specversion":"1.0"`) {
		t.Errorf("body %s: want structured mode with the JSON data readable", body)
	}

	s2, p2, c2 := setup(t, "one-by-one", 0, sqspub.WithBatchSize(1))
	if err := p2.Publish(context.Background(), evs[:3]...); err != nil {
		t.Fatal(err)
	}
	if n := len(s2.ops()); n != 3 {
		t.Errorf("WithBatchSize(1): %d calls for 3 events, want 3", n)
	}
	if got := ids(c2.received(t)); !reflect.DeepEqual(got, ids(evs[:3])) {
		t.Errorf("received %v", got)
	}
}

func bigEvent(id string, n int) event.Event {
	e := newEvent(id)
	_ = e.SetData("application/json", []byte(`"`+strings.Repeat("x", n)+`"`))
	return e
}

func TestBatchTotalSize(t *testing.T) {
	s, p, c := setup(t, "sizes", 0)
	evs := []event.Event{bigEvent("a", 400<<10), bigEvent("b", 400<<10), bigEvent("c", 400<<10), newEvent("d")}
	if err := p.Publish(context.Background(), evs...); err != nil {
		t.Fatalf("Publish of 3 × 400 KiB: %v (a batch must stay within 1 MiB)", err)
	}
	if n := len(s.ops()); n != 2 {
		t.Errorf("%d calls %v, want 2 (a+b, then c+d)", n, s.ops())
	}
	if got := ids(c.received(t)); !reflect.DeepEqual(got, []string{"a", "b", "c", "d"}) {
		t.Errorf("received %v", got)
	}
}

func TestTooLarge(t *testing.T) {
	_, p, c := setup(t, "too-large", 0)
	evs := []event.Event{newEvent("ok1"), bigEvent("huge", 1<<20), newEvent("ok2")}
	err := p.Publish(context.Background(), evs...)
	if got := events.FailedIndexes(err, 3); !reflect.DeepEqual(got, []int{1}) {
		t.Fatalf("FailedIndexes = %v, want [1] (%v)", got, err)
	}
	if !errors.Is(err, sqspub.ErrTooLarge) || handler.ClassOf(err) != handler.ClassPermanent {
		t.Errorf("error %v (class %v), want ErrTooLarge, permanent", err, handler.ClassOf(err))
	}
	if !strings.Contains(err.Error(), "1048576-byte limit") {
		t.Errorf("error %q does not name the limit", err)
	}
	if got := ids(c.received(t)); !reflect.DeepEqual(got, []string{"ok1", "ok2"}) {
		t.Errorf("received %v", got)
	}

	_, small, _ := setup(t, "small", 0, sqspub.WithMaxMessageSize(1024))
	err = small.Publish(context.Background(), bigEvent("k", 2000))
	if !errors.Is(err, sqspub.ErrTooLarge) || !strings.Contains(err.Error(), "1024-byte limit") {
		t.Errorf("WithMaxMessageSize(1024): %v", err)
	}
}

func TestPartialFailure(t *testing.T) {
	s, p, c := setup(t, "partial", 1)
	s.setFaults(nil, func(body string) (string, bool) {
		switch {
		case strings.Contains(body, "refuse-me"):
			return "InvalidParameterValue", true
		case strings.Contains(body, "retry-me"):
			return "InternalError", false
		case strings.Contains(body, "throttle-me"):
			return "RequestThrottled", true
		}
		return "", false
	})
	var evs []event.Event
	names := []string{"a", "refuse-me", "b", "retry-me", "c", "throttle-me", "d", "e", "f", "g", "h", "refuse-me-2"}
	for _, n := range names {
		evs = append(evs, newEvent(n))
	}
	err := p.Publish(context.Background(), evs...)
	var pe *events.PublishError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want *events.PublishError", err)
	}
	want := map[int]handler.Class{1: handler.ClassPermanent, 3: handler.ClassRetryable, 5: handler.ClassThrottled, 11: handler.ClassPermanent}
	if len(pe.Failures) != len(want) {
		t.Fatalf("failures %+v, want indexes 1 3 5 11", pe.Failures)
	}
	for _, f := range pe.Failures {
		if c, ok := want[f.Index]; !ok || handler.ClassOf(f.Err) != c {
			t.Errorf("failure %d (%s): class %v, want %v: %v", f.Index, f.ID, handler.ClassOf(f.Err), want[f.Index], f.Err)
		}
		if f.ID != names[f.Index] {
			t.Errorf("failure %d names id %q, want %q", f.Index, f.ID, names[f.Index])
		}
	}
	if handler.ClassOf(err) == handler.ClassPermanent {
		t.Errorf("a call with retryable failures is classed permanent")
	}
	if got := ids(c.received(t)); !reflect.DeepEqual(got, []string{"a", "b", "c", "d", "e", "f", "g", "h"}) {
		t.Errorf("received %v", got)
	}
}

func TestCallFailures(t *testing.T) {
	cases := []struct {
		name          string
		status        int
		code, query   string
		class         handler.Class
		wantCode      string
		errorsContain string
	}{
		{"throttled", 400, "ThrottlingException", "", handler.ClassThrottled, "ThrottlingException", ""},
		{"request throttled", 403, "RequestThrottled", "AWS.SimpleQueueService.RequestThrottled", handler.ClassThrottled, "", ""},
		{"internal", 500, "InternalError", "InternalError", handler.ClassRetryable, "", ""},
		{"unavailable", 503, "ServiceUnavailable", "AWS.SimpleQueueService.ServiceUnavailable", handler.ClassRetryable, "", ""},
		{"access denied", 403, "AccessDeniedException", "AccessDenied", handler.ClassPermanent, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, p, c := setup(t, "faults", 1)
			s.setFaults(func(op string) (int, string, string) { return tc.status, tc.code, tc.query }, nil)
			err := p.Publish(context.Background(), newEvent("a"), newEvent("b"))
			if got := events.FailedIndexes(err, 2); !reflect.DeepEqual(got, []int{0, 1}) {
				t.Fatalf("FailedIndexes = %v (%v)", got, err)
			}
			if got := handler.ClassOf(err); got != tc.class {
				t.Errorf("class %v, want %v: %v", got, tc.class, err)
			}
			s.setFaults(nil, nil)
			if got := c.received(t); len(got) != 0 {
				t.Errorf("received %v after a refused call", ids(got))
			}
		})
	}
	t.Run("missing queue", func(t *testing.T) {
		s := newServer(t)
		p, _ := sqspub.New(client(s, 1), s.srv.URL+"/000000000000/nope")
		err := p.Publish(context.Background(), newEvent("a"))
		if handler.ClassOf(err) != handler.ClassPermanent || !strings.Contains(err.Error(), "NonExistentQueue") {
			t.Errorf("publish to a missing queue: %v (class %v), want permanent naming NonExistentQueue", err, handler.ClassOf(err))
		}
	})
	t.Run("unsigned", func(t *testing.T) {
		s := newServer(t)
		url := s.queue("q")
		c := sqs.New(sqs.Options{Region: "us-east-1", Credentials: aws.AnonymousCredentials{}, BaseEndpoint: aws.String(s.srv.URL), RetryMaxAttempts: 1})
		p, _ := sqspub.New(c, url)
		err := p.Publish(context.Background(), newEvent("a"))
		if s.unsigned.Load() != 1 || handler.ClassOf(err) != handler.ClassPermanent {
			t.Errorf("unsigned request: %v (class %v), server saw %d unsigned", err, handler.ClassOf(err), s.unsigned.Load())
		}
	})
	t.Run("throttled then recovers with SDK retries", func(t *testing.T) {
		s, p, c := setup(t, "recover", 3)
		n := 0
		s.setFaults(func(op string) (int, string, string) {
			if op == "SendMessageBatch" && n < 2 {
				n++
				return 400, "ThrottlingException", ""
			}
			return 0, "", ""
		}, nil)
		if err := p.Publish(context.Background(), newEvent("a")); err != nil {
			t.Fatalf("Publish after 2 throttled attempts: %v", err)
		}
		if got := ids(c.received(t)); !reflect.DeepEqual(got, []string{"a"}) {
			t.Errorf("received %v", got)
		}
	})
}

func TestDown(t *testing.T) {
	s := newServer(t)
	url := s.queue("q")
	p, _ := sqspub.New(client(s, 1), url)
	s.srv.Close()
	var evs []event.Event
	for i := range 15 {
		evs = append(evs, newEvent(fmt.Sprint(i)))
	}
	err := p.Publish(context.Background(), evs...)
	if got := events.FailedIndexes(err, 15); len(got) != 15 {
		t.Fatalf("FailedIndexes = %v, want all 15 (%v)", got, err)
	}
	if handler.ClassOf(err) != handler.ClassRetryable {
		t.Errorf("bus down: class %v, want retryable: %v", handler.ClassOf(err), err)
	}
	if !strings.Contains(err.Error(), "SendMessageBatch") {
		t.Errorf("error %q does not say which call failed", err)
	}
}

func TestDeadline(t *testing.T) {
	s, p, _ := setup(t, "slow", 1)
	s.delay.Store(int64(2 * time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := p.Publish(ctx, newEvent("a"), newEvent("b"))
	if el := time.Since(start); el > time.Second {
		t.Errorf("Publish took %v past a 100ms deadline", el)
	}
	if !errors.Is(err, context.DeadlineExceeded) || handler.ClassOf(err) != handler.ClassRetryable {
		t.Errorf("err = %v (class %v), want DeadlineExceeded, retryable", err, handler.ClassOf(err))
	}
	if got := events.FailedIndexes(err, 2); len(got) != 2 {
		t.Errorf("FailedIndexes = %v", got)
	}
}

func TestFIFO(t *testing.T) {
	s, p, c := setup(t, "orders.fifo", 0)
	a := newEvent("a")
	b := newEvent("b")
	b.SetExtension("partitionkey", "customer-7")
	if err := p.Publish(context.Background(), a, b, a); err != nil {
		t.Fatal(err)
	}
	msgs := s.messages(c.url)
	if len(msgs) != 2 {
		t.Fatalf("queue holds %d messages, want 2 (the repeated event is deduplicated)", len(msgs))
	}
	if msgs[0].group != "/orders" || msgs[1].group != "customer-7" {
		t.Errorf("groups %q %q, want the source and the partitionkey", msgs[0].group, msgs[1].group)
	}
	if msgs[0].dedup != sqspub.DefaultDeduplicationID(&a) || len(msgs[0].dedup) != 64 {
		t.Errorf("dedup id %q", msgs[0].dedup)
	}

	_, bySubject, c2 := setup(t, "subject.fifo", 0, sqspub.WithGroupID(sqspub.Subject()), sqspub.WithDeduplicationID(sqspub.ID()))
	withSubject := newEvent("s1")
	withSubject.SetSubject("orders/1")
	noSubject := newEvent("s2")
	spaced := newEvent("s3")
	spaced.SetSubject("has space")
	err := bySubject.Publish(context.Background(), withSubject, noSubject, spaced)
	var pe *events.PublishError
	if !errors.As(err, &pe) || len(pe.Failures) != 2 || pe.Failures[0].Index != 1 || pe.Failures[1].Index != 2 {
		t.Fatalf("err = %v, want events 1 and 2 refused", err)
	}
	for _, f := range pe.Failures {
		if !errors.Is(f.Err, sqspub.ErrInvalidKey) || handler.ClassOf(f.Err) != handler.ClassPermanent || !strings.Contains(f.Err.Error(), "message group id") {
			t.Errorf("failure %d: %v", f.Index, f.Err)
		}
	}
	if got := ids(c2.received(t)); !reflect.DeepEqual(got, []string{"s1"}) {
		t.Errorf("received %v", got)
	}
}

func TestNew(t *testing.T) {
	s := newServer(t)
	c := client(s, 1)
	bad := []struct {
		name string
		url  string
		opts []sqspub.Option
	}{
		{"batch 0", "u", []sqspub.Option{sqspub.WithBatchSize(0)}},
		{"batch 11", "u", []sqspub.Option{sqspub.WithBatchSize(11)}},
		{"size 0", "u", []sqspub.Option{sqspub.WithMaxMessageSize(0)}},
		{"size over 1 MiB", "u", []sqspub.Option{sqspub.WithMaxMessageSize(1<<20 + 1)}},
		{"dedup on a standard queue", "u", []sqspub.Option{sqspub.WithDeduplicationID(sqspub.ID())}},
		{"no group on FIFO", "u.fifo", []sqspub.Option{sqspub.WithGroupID(nil)}},
		{"no url", "", nil},
	}
	for _, b := range bad {
		if _, err := sqspub.New(c, b.url, b.opts...); err == nil || !strings.HasPrefix(err.Error(), "sqspub: ") {
			t.Errorf("%s: New = %v, want an sqspub error", b.name, err)
		}
	}
	if _, err := sqspub.New(nil, "u"); err == nil {
		t.Error("New(nil) succeeded")
	}
}

func TestClose(t *testing.T) {
	s, p, c := setup(t, "close", 0)
	s.delay.Store(int64(200 * time.Millisecond))
	done := make(chan error, 1)
	go func() { done <- p.Publish(context.Background(), newEvent("in-flight")) }()
	for s.requests.Load() == 0 { // the call is in flight once the server has it
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	// The server holds the call 200 ms: Close must have waited for it (the
	// goroutine's send on done may come a moment after Close returns).
	if waited := time.Since(start); waited < 100*time.Millisecond {
		t.Fatalf("Close returned after %v, before the Publish in flight", waited)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the Publish in flight failed: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the Publish in flight never returned")
	}
	s.delay.Store(0)
	if got := ids(c.received(t)); !reflect.DeepEqual(got, []string{"in-flight"}) {
		t.Errorf("received %v", got)
	}
	err := p.Publish(context.Background(), newEvent("late"))
	if !errors.Is(err, sqspub.ErrClosed) || handler.ClassOf(err) != handler.ClassPermanent {
		t.Errorf("Publish after Close: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
