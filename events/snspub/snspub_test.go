package snspub_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Admiral-Piett/goaws/app/servertest"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/sirupsen/logrus"

	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/events/publishertest"
	"github.com/fnkit/fnkit/events/snspub"
	"github.com/fnkit/fnkit/handler"
)

// goaws is GoAWS (its own server code, in process on 127.0.0.1), started
// once: it keeps its topics in package-level state.
var goaws = sync.OnceValues(func() (string, error) {
	logrus.SetLevel(logrus.WarnLevel)
	s, err := servertest.New("127.0.0.1:0")
	if err != nil {
		return "", err
	}
	return s.URL(), nil
})

func client(endpoint string, attempts int) *sns.Client {
	return sns.New(sns.Options{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		BaseEndpoint:     aws.String(endpoint),
		RetryMaxAttempts: attempts,
	})
}

// subscriber is an HTTP endpoint on 127.0.0.1 subscribed to a GoAWS
// topic: it keeps every notification SNS delivers.
type subscriber struct {
	srv   *httptest.Server
	mu    sync.Mutex
	notes []json.RawMessage
}

func (s *subscriber) serve(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	if r.Header.Get("x-amz-sns-message-type") != "Notification" {
		return // SubscriptionConfirmation: GoAWS delivers without it
	}
	s.mu.Lock()
	s.notes = append(s.notes, b)
	s.mu.Unlock()
}

// take returns and forgets the notifications received so far.
func (s *subscriber) take() []json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.notes
	s.notes = nil
	return n
}

type notification struct {
	Type, MessageId, TopicArn, Message, Timestamp string
}

// decode reads a delivered notification's Message as a structured-mode
// CloudEvent, the way a subscriber (and events.FromSNS) unwraps it.
func decode(t *testing.T, raw json.RawMessage) event.Event {
	t.Helper()
	var n notification
	if err := json.Unmarshal(raw, &n); err != nil {
		t.Fatalf("notification %s: %v", raw, err)
	}
	var e event.Event
	if err := json.Unmarshal([]byte(n.Message), &e); err != nil {
		t.Fatalf("Message is not a structured CloudEvent: %v\n%s", err, n.Message)
	}
	return e
}

// topic creates a GoAWS topic with an HTTP subscriber.
func topic(t *testing.T, name string) (string, *subscriber) {
	t.Helper()
	url, err := goaws()
	if err != nil {
		t.Fatalf("GoAWS: %v", err)
	}
	c := client(url, 1)
	ctx := context.Background()
	out, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: &name})
	if err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	sub := &subscriber{}
	sub.srv = httptest.NewServer(http.HandlerFunc(sub.serve))
	t.Cleanup(sub.srv.Close)
	if _, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: out.TopicArn, Protocol: aws.String("http"), Endpoint: aws.String(sub.srv.URL)}); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	sub.take()
	return *out.TopicArn, sub
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

// TestConformanceGoAWS runs the suite against GoAWS through Publish (GoAWS
// has no PublishBatch), reading what its HTTP subscriber received. The
// suite sends an event with 256 KiB of data, more than SNS's limit, so the
// limit is raised here; TestTooLarge checks the default.
func TestConformanceGoAWS(t *testing.T) {
	arn, sub := topic(t, "conformance")
	url, _ := goaws()
	var got []event.Event
	publishertest.Run(t, func(t *testing.T) publishertest.Target {
		sub.take()
		got = nil
		p, err := snspub.New(client(url, 0), arn, snspub.WithBatchSize(1), snspub.WithMaxMessageSize(1<<20))
		if err != nil {
			t.Fatal(err)
		}
		return publishertest.Target{Publisher: p, Received: func() []event.Event {
			for _, n := range sub.take() {
				got = append(got, decode(t, n))
			}
			return got
		}}
	})
}

// TestConformanceBatch runs the suite through PublishBatch against the
// loopback server.
func TestConformanceBatch(t *testing.T) {
	for _, name := range []string{"standard", "orders.fifo"} {
		t.Run(name, func(t *testing.T) {
			publishertest.Run(t, func(t *testing.T) publishertest.Target {
				s := newBatchServer(t)
				s.max = 1 << 20
				p, err := snspub.New(client(s.srv.URL, 0), s.topic(name), snspub.WithMaxMessageSize(1<<20))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() {
					if n := s.unsigned.Load(); n > 0 {
						t.Errorf("%d requests were not SigV4 signed", n)
					}
				})
				return publishertest.Target{Publisher: p, Received: func() []event.Event {
					var out []event.Event
					for _, m := range s.messages() {
						var e event.Event
						if err := json.Unmarshal([]byte(m.message), &e); err != nil {
							t.Fatalf("message is not a structured CloudEvent: %v", err)
						}
						out = append(out, e)
					}
					return out
				}}
			})
		})
	}
}

func TestDeliveredNotification(t *testing.T) {
	arn, sub := topic(t, "delivered")
	url, _ := goaws()
	p, err := snspub.New(client(url, 1), arn, snspub.WithBatchSize(1))
	if err != nil {
		t.Fatal(err)
	}
	e := newEvent("n1")
	e.SetSubject("orders/1")
	e.SetExtension("tenant", "acme")
	if err := p.Publish(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	notes := sub.take()
	if len(notes) != 1 {
		t.Fatalf("%d notifications, want 1", len(notes))
	}
	var n notification
	_ = json.Unmarshal(notes[0], &n)
	if n.Type != "Notification" || n.TopicArn != arn || n.MessageId == "" {
		t.Errorf("notification %+v", n)
	}
	if !strings.Contains(n.Message, `"data":{"id":"n1"}`) || !strings.Contains(n.Message, `"tenant":"acme"`) {
		t.Errorf("Message %s: want structured mode with readable JSON data", n.Message)
	}
	if got := decode(t, notes[0]); !publishertest.Equal(got, e) {
		t.Errorf("delivered %v, want %v", got, e)
	}
}

func TestBatchesOfTen(t *testing.T) {
	s := newBatchServer(t)
	p, _ := snspub.New(client(s.srv.URL, 1), s.topic("t"))
	var evs []event.Event
	for i := range 23 {
		evs = append(evs, newEvent(fmt.Sprintf("e%02d", i)))
	}
	if err := p.Publish(context.Background(), evs...); err != nil {
		t.Fatal(err)
	}
	if got := s.ops(); !reflect.DeepEqual(got, []string{"PublishBatch", "PublishBatch", "PublishBatch"}) {
		t.Errorf("calls %v, want 3 PublishBatch", got)
	}
	var got []string
	for _, m := range s.messages() {
		var e event.Event
		_ = json.Unmarshal([]byte(m.message), &e)
		got = append(got, e.ID())
	}
	if !reflect.DeepEqual(got, ids(evs)) {
		t.Errorf("published %v", got)
	}
	// The batch total stays within 256 KiB: two 100 KiB events per call.
	s2 := newBatchServer(t)
	p2, _ := snspub.New(client(s2.srv.URL, 1), s2.topic("t"))
	big := func(id string) event.Event {
		e := newEvent(id)
		_ = e.SetData("application/json", []byte(`"`+strings.Repeat("y", 100<<10)+`"`))
		return e
	}
	if err := p2.Publish(context.Background(), big("a"), big("b"), big("c")); err != nil {
		t.Fatalf("3 × 100 KiB: %v", err)
	}
	if n := len(s2.ops()); n != 2 {
		t.Errorf("%d calls for 3 × 100 KiB, want 2", n)
	}
}

func TestTooLarge(t *testing.T) {
	s := newBatchServer(t)
	p, _ := snspub.New(client(s.srv.URL, 1), s.topic("t"))
	huge := newEvent("huge")
	_ = huge.SetData("application/json", []byte(`"`+strings.Repeat("x", 256<<10)+`"`))
	err := p.Publish(context.Background(), newEvent("a"), huge, newEvent("b"))
	if got := events.FailedIndexes(err, 3); !reflect.DeepEqual(got, []int{1}) {
		t.Fatalf("FailedIndexes = %v (%v)", got, err)
	}
	if !errors.Is(err, snspub.ErrTooLarge) || handler.ClassOf(err) != handler.ClassPermanent || !strings.Contains(err.Error(), "262144-byte limit") {
		t.Errorf("err = %v (class %v)", err, handler.ClassOf(err))
	}
	if n := len(s.messages()); n != 2 {
		t.Errorf("%d messages published, want the 2 that fit", n)
	}
}

func TestPartialFailure(t *testing.T) {
	s := newBatchServer(t)
	p, _ := snspub.New(client(s.srv.URL, 1), s.topic("t"))
	s.setFaults(nil, func(m string) (string, bool) {
		switch {
		case strings.Contains(m, "refuse-me"):
			return "InvalidParameter", true
		case strings.Contains(m, "retry-me"):
			return "InternalError", false
		case strings.Contains(m, "throttle-me"):
			return "Throttled", true
		}
		return "", false
	})
	names := []string{"a", "refuse-me", "b", "retry-me", "throttle-me", "c"}
	var evs []event.Event
	for _, n := range names {
		evs = append(evs, newEvent(n))
	}
	err := p.Publish(context.Background(), evs...)
	var pe *events.PublishError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v", err)
	}
	want := map[int]handler.Class{1: handler.ClassPermanent, 3: handler.ClassRetryable, 4: handler.ClassThrottled}
	if len(pe.Failures) != 3 {
		t.Fatalf("failures %+v", pe.Failures)
	}
	for _, f := range pe.Failures {
		if c := handler.ClassOf(f.Err); c != want[f.Index] || f.ID != names[f.Index] {
			t.Errorf("failure %d (%s): class %v, want %v: %v", f.Index, f.ID, c, want[f.Index], f.Err)
		}
	}
	if n := len(s.messages()); n != 3 {
		t.Errorf("%d published, want 3", n)
	}
}

func TestCallFailures(t *testing.T) {
	cases := []struct {
		status int
		code   string
		class  handler.Class
	}{
		{400, "Throttled", handler.ClassThrottled},
		{429, "ThrottledException", handler.ClassThrottled},
		{500, "InternalError", handler.ClassRetryable},
		{403, "AuthorizationError", handler.ClassPermanent},
		{400, "KMSThrottling", handler.ClassThrottled},
	}
	for _, batch := range []int{1, 10} {
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%s/batch%d", tc.code, batch), func(t *testing.T) {
				s := newBatchServer(t)
				p, _ := snspub.New(client(s.srv.URL, 1), s.topic("t"), snspub.WithBatchSize(batch))
				s.setFaults(func(string) (int, string) { return tc.status, tc.code }, nil)
				err := p.Publish(context.Background(), newEvent("a"), newEvent("b"))
				if got := events.FailedIndexes(err, 2); !reflect.DeepEqual(got, []int{0, 1}) {
					t.Fatalf("FailedIndexes = %v (%v)", got, err)
				}
				if got := handler.ClassOf(err); got != tc.class {
					t.Errorf("class %v, want %v: %v", got, tc.class, err)
				}
				if len(s.messages()) != 0 {
					t.Error("messages published by a refused call")
				}
			})
		}
	}
	t.Run("missing topic", func(t *testing.T) {
		url, err := goaws()
		if err != nil {
			t.Fatal(err)
		}
		p, _ := snspub.New(client(url, 1), "arn:aws:sns:us-east-1:000000000000:does-not-exist", snspub.WithBatchSize(1))
		err = p.Publish(context.Background(), newEvent("a"))
		if handler.ClassOf(err) != handler.ClassPermanent || !strings.Contains(err.Error(), "NonExistentTopic") {
			t.Errorf("GoAWS, missing topic: %v (class %v), want permanent naming the topic error", err, handler.ClassOf(err))
		}
	})
}

func TestDown(t *testing.T) {
	s := newBatchServer(t)
	p, _ := snspub.New(client(s.srv.URL, 1), s.topic("t"))
	s.srv.Close()
	var evs []event.Event
	for i := range 12 {
		evs = append(evs, newEvent(fmt.Sprint(i)))
	}
	err := p.Publish(context.Background(), evs...)
	if got := events.FailedIndexes(err, 12); len(got) != 12 || handler.ClassOf(err) != handler.ClassRetryable {
		t.Fatalf("bus down: FailedIndexes %v, class %v: %v", got, handler.ClassOf(err), err)
	}
}

func TestDeadline(t *testing.T) {
	s := newBatchServer(t)
	p, _ := snspub.New(client(s.srv.URL, 1), s.topic("t"))
	s.delay.Store(int64(2 * time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := p.Publish(ctx, newEvent("a"))
	if time.Since(start) > time.Second || !errors.Is(err, context.DeadlineExceeded) || handler.ClassOf(err) != handler.ClassRetryable {
		t.Errorf("after %v: %v (class %v)", time.Since(start), err, handler.ClassOf(err))
	}
}

func TestFIFO(t *testing.T) {
	s := newBatchServer(t)
	arn := s.topic("orders.fifo")
	p, _ := snspub.New(client(s.srv.URL, 1), arn)
	a := newEvent("a")
	b := newEvent("b")
	b.SetExtension("partitionkey", "customer-7")
	if err := p.Publish(context.Background(), a, b); err != nil {
		t.Fatal(err)
	}
	m := s.messages()
	if len(m) != 2 || m[0].group != "/orders" || m[1].group != "customer-7" || m[0].dedup != snspub.DefaultDeduplicationID(&a) {
		t.Errorf("messages %+v", m)
	}
	bad, _ := snspub.New(client(s.srv.URL, 1), arn, snspub.WithGroupID(snspub.Extension("group")))
	err := bad.Publish(context.Background(), a)
	if !errors.Is(err, snspub.ErrInvalidKey) || handler.ClassOf(err) != handler.ClassPermanent {
		t.Errorf("no group: %v", err)
	}
	if _, err := snspub.New(client(s.srv.URL, 1), "arn:aws:sns:us-east-1:0:std", snspub.WithDeduplicationID(snspub.ID())); err == nil {
		t.Error("dedup ids on a standard topic accepted")
	}
}

func TestClose(t *testing.T) {
	s := newBatchServer(t)
	p, _ := snspub.New(client(s.srv.URL, 1), s.topic("t"))
	s.delay.Store(int64(200 * time.Millisecond))
	done := make(chan error, 1)
	go func() { done <- p.Publish(context.Background(), newEvent("in-flight")) }()
	for s.requests.Load() == 0 { // the call is in flight once the server has it
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	_ = p.Close()
	// The server holds the call 200 ms: Close must have waited for it (the
	// goroutine's send on done may come a moment after Close returns).
	if waited := time.Since(start); waited < 100*time.Millisecond {
		t.Fatalf("Close returned after %v, before the Publish in flight", waited)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the Publish in flight never returned")
	}
	if err := p.Publish(context.Background(), newEvent("late")); !errors.Is(err, snspub.ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}
