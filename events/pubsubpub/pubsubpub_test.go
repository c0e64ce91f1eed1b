package pubsubpub_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/pubsub/v2/pstest"
	"github.com/cloudevents/sdk-go/v2/event"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/fnkit/fnkit/adapters/knative"
	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/events/publishertest"
	"github.com/fnkit/fnkit/events/pubsubpub"
	"github.com/fnkit/fnkit/handler"
)

const project = "fnkit-test"

// fake starts pstest on 127.0.0.1 with a topic and returns it with a
// real client connected to it.
func fake(t *testing.T, opts ...pstest.ServerReactorOption) (*pstest.Server, *pubsub.Client, string) {
	t.Helper()
	srv := pstest.NewServerWithAddress("127.0.0.1:0", opts...)
	t.Cleanup(func() { _ = srv.Close() })
	topic := "projects/" + project + "/topics/orders"
	if _, err := srv.GServer.CreateTopic(context.Background(), &pubsubpb.Topic{Name: topic}); err != nil {
		t.Fatal(err)
	}
	c, err := pubsub.NewClient(context.Background(), project, option.WithEndpoint(srv.Addr), option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return srv, c, topic
}

func newPublisher(t *testing.T, c *pubsub.Client, topic string, opts ...pubsubpub.Option) *pubsubpub.Publisher {
	t.Helper()
	p, err := pubsubpub.New(c, topic, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func received(t *testing.T, srv *pstest.Server) []event.Event {
	t.Helper()
	var out []event.Event
	for _, m := range srv.Messages() {
		e, err := pubsubpub.FromMessage(m.Data, m.Attributes)
		if err != nil {
			t.Fatalf("message %s: %v", m.ID, err)
		}
		out = append(out, e)
	}
	return out
}

func newEvent(id string) event.Event {
	e := event.New()
	e.SetID(id)
	e.SetSource("//example.com/orders")
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

func TestConformance(t *testing.T) {
	publishertest.Run(t, func(t *testing.T) publishertest.Target {
		srv, c, topic := fake(t)
		p := newPublisher(t, c, topic)
		return publishertest.Target{Publisher: p, Received: func() []event.Event { return received(t, srv) }}
	})
}

func TestConformanceOrdered(t *testing.T) {
	publishertest.Run(t, func(t *testing.T) publishertest.Target {
		srv, c, topic := fake(t)
		p := newPublisher(t, c, topic, pubsubpub.WithOrderingKey(pubsubpub.Source()))
		return publishertest.Target{Publisher: p, Received: func() []event.Event { return received(t, srv) }}
	})
}

func TestBinaryMode(t *testing.T) {
	srv, c, topic := fake(t)
	p := newPublisher(t, c, topic)
	e := newEvent("b1")
	e.SetSubject("orders/1")
	e.SetTime(time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC))
	e.SetExtension("tenant", "acme")
	if err := p.Publish(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	m := srv.Messages()
	if len(m) != 1 {
		t.Fatalf("%d messages", len(m))
	}
	want := map[string]string{"ce-specversion": "1.0", "ce-id": "b1", "ce-source": "//example.com/orders", "ce-type": "com.example.order.created",
		"ce-subject": "orders/1", "ce-time": "2026-01-02T03:04:05.0000006Z", "content-type": "application/json", "ce-tenant": "acme"}
	if !reflect.DeepEqual(m[0].Attributes, want) {
		t.Errorf("attributes %v, want %v", m[0].Attributes, want)
	}
	if string(m[0].Data) != `{"id":"b1"}` {
		t.Errorf("data %q: want the event's data bytes as they are", m[0].Data)
	}
}

func TestStructuredFallback(t *testing.T) {
	srv, c, topic := fake(t)
	p := newPublisher(t, c, topic)
	e := newEvent("s1")
	e.SetExtension("note", strings.Repeat("n", 2000)) // over 1024 bytes a value
	if err := p.Publish(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	m := srv.Messages()[0]
	if m.Attributes["content-type"] != pubsubpub.StructuredJSON || len(m.Attributes) != 1 {
		t.Errorf("attributes %v, want structured mode", m.Attributes)
	}
	if got := received(t, srv); !publishertest.Equal(got[0], e) {
		t.Errorf("decoded %v, want %v", got[0], e)
	}
}

func TestOrderingKey(t *testing.T) {
	srv, c, topic := fake(t)
	p := newPublisher(t, c, topic, pubsubpub.WithOrderingKey(pubsubpub.Extension("partitionkey")))
	a, b := newEvent("a"), newEvent("b")
	a.SetExtension("partitionkey", "customer-7")
	if err := p.Publish(context.Background(), a, b); err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{} // message of another key may arrive first
	for _, m := range srv.Messages() {
		keys[m.Attributes["ce-id"]] = m.OrderingKey
	}
	if !reflect.DeepEqual(keys, map[string]string{"a": "customer-7", "b": ""}) {
		t.Errorf("ordering keys by event %v", keys)
	}
	long := newEvent("long")
	long.SetExtension("partitionkey", strings.Repeat("k", 1025))
	err := p.Publish(context.Background(), long)
	if !errors.Is(err, pubsubpub.ErrInvalidKey) || handler.ClassOf(err) != handler.ClassPermanent {
		t.Errorf("long key: %v", err)
	}
}

func TestTooLarge(t *testing.T) {
	srv, c, topic := fake(t)
	p := newPublisher(t, c, topic)
	huge := newEvent("huge")
	_ = huge.SetData("application/octet-stream", make([]byte, pubsubpub.MaxMessageSize))
	err := p.Publish(context.Background(), newEvent("a"), huge, newEvent("b"))
	if got := events.FailedIndexes(err, 3); !reflect.DeepEqual(got, []int{1}) {
		t.Fatalf("FailedIndexes %v (%v)", got, err)
	}
	if !errors.Is(err, pubsubpub.ErrTooLarge) || handler.ClassOf(err) != handler.ClassPermanent || !strings.Contains(err.Error(), "10000000-byte limit") {
		t.Errorf("err %v", err)
	}
	if got := ids(received(t, srv)); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("received %v", got)
	}
}

func TestFaults(t *testing.T) {
	cases := []struct {
		code  codes.Code
		class handler.Class
	}{
		// The client retries ResourceExhausted (and Unavailable) until
		// its publish timeout, which then surfaces as a deadline.
		{codes.ResourceExhausted, handler.ClassRetryable},
		{codes.PermissionDenied, handler.ClassPermanent},
		{codes.InvalidArgument, handler.ClassPermanent},
		{codes.Unavailable, handler.ClassRetryable},
	}
	for _, tc := range cases {
		t.Run(tc.code.String(), func(t *testing.T) {
			srv, c, topic := fake(t, pstest.WithErrorInjection("Publish", tc.code, "injected"))
			settings := pubsub.DefaultPublishSettings
			settings.Timeout = 300 * time.Millisecond // the client retries retryable codes until then
			p := newPublisher(t, c, topic, pubsubpub.WithPublishSettings(settings))
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := p.Publish(ctx, newEvent("a"), newEvent("b"))
			if got := events.FailedIndexes(err, 2); len(got) != 2 {
				t.Fatalf("FailedIndexes %v (%v)", got, err)
			}
			if got := handler.ClassOf(err); got != tc.class {
				t.Errorf("class %v, want %v: %v", got, tc.class, err)
			}
			if len(srv.Messages()) != 0 {
				t.Error("messages stored by a failed publish")
			}
		})
	}
	t.Run("flow control", func(t *testing.T) {
		srv, c, topic := fake(t)
		settings := pubsub.DefaultPublishSettings
		settings.DelayThreshold = 200 * time.Millisecond
		settings.FlowControlSettings = pubsub.FlowControlSettings{MaxOutstandingMessages: 1, MaxOutstandingBytes: -1, LimitExceededBehavior: pubsub.FlowControlSignalError}
		p := newPublisher(t, c, topic, pubsubpub.WithPublishSettings(settings))
		err := p.Publish(context.Background(), newEvent("a"), newEvent("b"), newEvent("c"))
		var pe *events.PublishError
		if !errors.As(err, &pe) || len(pe.Failures) != 2 || pe.Failures[0].Index != 1 || pe.Failures[1].Index != 2 {
			t.Fatalf("err = %v, want events 1 and 2 refused by flow control", err)
		}
		if handler.ClassOf(err) != handler.ClassThrottled {
			t.Errorf("flow control: class %v, want throttled: %v", handler.ClassOf(err), err)
		}
		if got := ids(received(t, srv)); !reflect.DeepEqual(got, []string{"a"}) {
			t.Errorf("received %v", got)
		}
	})
	t.Run("missing topic", func(t *testing.T) {
		_, c, _ := fake(t)
		p := newPublisher(t, c, "projects/"+project+"/topics/nope")
		err := p.Publish(context.Background(), newEvent("a"))
		if handler.ClassOf(err) != handler.ClassPermanent || !strings.Contains(err.Error(), "NotFound") {
			t.Errorf("missing topic: %v (class %v)", err, handler.ClassOf(err))
		}
	})
	t.Run("down", func(t *testing.T) {
		srv, c, topic := fake(t)
		settings := pubsub.DefaultPublishSettings
		settings.Timeout = time.Second
		p := newPublisher(t, c, topic, pubsubpub.WithPublishSettings(settings))
		_ = srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		err := p.Publish(ctx, newEvent("a"), newEvent("b"))
		if got := events.FailedIndexes(err, 2); len(got) != 2 || handler.ClassOf(err) != handler.ClassRetryable {
			t.Errorf("bus down: %v (class %v)", err, handler.ClassOf(err))
		}
	})
	t.Run("ordering key resumes after a failure", func(t *testing.T) {
		srv, c, topic := fake(t)
		p := newPublisher(t, c, topic, pubsubpub.WithOrderingKey(pubsubpub.Source()))
		srv.SetAutoPublishResponse(false)
		srv.AddPublishResponse(nil, status.Error(codes.FailedPrecondition, "boom")) // not retried by the client
		err := p.Publish(context.Background(), newEvent("a"))
		if err == nil {
			t.Fatal("publish with an injected failure succeeded")
		}
		srv.SetAutoPublishResponse(true)
		if err := p.Publish(context.Background(), newEvent("b")); err != nil {
			t.Fatalf("publish after the failure of the key: %v (the key must be resumed)", err)
		}
	})
}

func TestClose(t *testing.T) {
	srv, c, topic := fake(t)
	p, _ := pubsubpub.New(c, topic, pubsubpub.WithPublishSettings(pubsub.PublishSettings{DelayThreshold: time.Minute, CountThreshold: 1000, ByteThreshold: 1e7, Timeout: time.Minute}))
	done := make(chan error, 1)
	go func() { done <- p.Publish(context.Background(), newEvent("buffered")) }()
	time.Sleep(300 * time.Millisecond) // the batch is due in a minute: still buffered
	if len(srv.Messages()) != 0 {
		t.Fatal("the message was sent before its batch was due")
	}
	start := time.Now()
	_ = p.Close()
	if time.Since(start) > 10*time.Second {
		t.Errorf("Close took %v", time.Since(start))
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatal("Close returned before the Publish it flushed")
	}
	if got := ids(received(t, srv)); !reflect.DeepEqual(got, []string{"buffered"}) {
		t.Errorf("received %v after Close", got)
	}
	if err := p.Publish(context.Background(), newEvent("late")); !errors.Is(err, pubsubpub.ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}

// TestRoundTripPush publishes, takes the message pstest stored, delivers
// it as a push subscription would (the JSON envelope), decodes it with
// events.FromPubSubPush as fnkit's adapters do, and unwraps the event.
func TestRoundTripPush(t *testing.T) {
	srv, c, topic := fake(t)
	p := newPublisher(t, c, topic)
	bin := newEvent("rt-bin")
	bin.SetSubject("orders/9")
	bin.SetTime(time.Date(2026, 7, 8, 9, 10, 11, 120000000, time.UTC))
	bin.SetExtension("tenant", "acme")
	bin.SetDataSchema("https://example.com/order.json")
	raw := newEvent("rt-raw")
	_ = raw.SetData("application/octet-stream", []byte{0, 1, 2, 0xff, 0xfe})
	big := newEvent("rt-structured")
	big.SetExtension("note", strings.Repeat("é", 600))
	sent := []event.Event{bin, raw, big}
	if err := p.Publish(context.Background(), sent...); err != nil {
		t.Fatal(err)
	}
	for i, m := range srv.Messages() {
		body, _ := json.Marshal(map[string]any{
			"message": map[string]any{"data": base64.StdEncoding.EncodeToString(m.Data), "attributes": m.Attributes,
				"messageId": m.ID, "publishTime": m.PublishTime.Format(time.RFC3339Nano)},
			"subscription": "projects/" + project + "/subscriptions/push",
		})
		pushed, _, err := events.FromPubSubPush(body, topic)
		if err != nil {
			t.Fatalf("FromPubSubPush: %v", err)
		}
		got, err := pubsubpub.FromPush(pushed)
		if err != nil {
			t.Fatalf("FromPush: %v", err)
		}
		if !publishertest.Equal(got, sent[i]) {
			t.Errorf("round trip %d: got %v\nwant %v", i, got, sent[i])
		}
	}
}

func TestFromMessageErrors(t *testing.T) {
	base := map[string]string{"ce-specversion": "1.0", "ce-id": "1", "ce-source": "/s", "ce-type": "t"}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range base {
			m[a] = b
		}
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name  string
		data  []byte
		attrs map[string]string
		want  string
	}{
		{"no specversion", nil, with("ce-specversion", ""), "no ce-specversion"},
		{"old specversion", nil, with("ce-specversion", "0.3"), `"0.3" is not supported`},
		{"no id", nil, with("ce-id", ""), "id"},
		{"bad time", nil, with("ce-time", "yesterday"), `"ce-time"`},
		{"bad extension name", nil, with("ce-bad_name", "x"), `"ce-bad_name"`},
		{"structured garbage", []byte("{nope"), map[string]string{"content-type": "application/cloudevents+json"}, "does not decode"},
	}
	for _, tc := range cases {
		_, err := pubsubpub.FromMessage(tc.data, tc.attrs)
		if err == nil || handler.ClassOf(err) != handler.ClassInvalidInput || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want invalid input mentioning %q", tc.name, err, tc.want)
		}
	}
	e, err := pubsubpub.FromMessage([]byte("x"), with("CE-Subject", "upper"))
	if err != nil || e.Subject() != "upper" {
		t.Errorf("attribute names in any case: %v %v", e, err)
	}
	other := newEvent("other")
	if got, err := pubsubpub.FromPush(other); err != nil || got.ID() != "other" {
		t.Errorf("FromPush of another type: %v %v", got, err)
	}
}

// TestRoundTripKnative delivers the stored messages as a push
// subscription does, over HTTP on 127.0.0.1, to fnkit's Knative/Cloud Run
// adapter with Pub/Sub push decoding on; the handler unwraps the
// messagePublished event with FromPush and gets the very same events.
func TestRoundTripKnative(t *testing.T) {
	srv, c, topic := fake(t)
	p := newPublisher(t, c, topic)
	full := newEvent("kn-full")
	full.SetSubject("orders/9")
	full.SetTime(time.Date(2026, 7, 8, 9, 10, 11, 120000000, time.UTC))
	full.SetExtension("tenant", "acme")
	raw := newEvent("kn-raw")
	_ = raw.SetData("application/octet-stream", []byte{0, 1, 2, 0xff})
	sent := []event.Event{full, raw}
	if err := p.Publish(context.Background(), sent...); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []event.Event
	h := knative.New(handler.Func(func(_ context.Context, e event.Event) (*event.Event, error) {
		inner, err := pubsubpub.FromPush(e)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		got = append(got, inner)
		mu.Unlock()
		return nil, nil
	}), knative.WithPubSubPush())
	hs := httptest.NewServer(h)
	defer hs.Close()
	for _, m := range srv.Messages() {
		body, _ := json.Marshal(map[string]any{
			"message": map[string]any{"data": base64.StdEncoding.EncodeToString(m.Data), "attributes": m.Attributes,
				"messageId": m.ID, "publishTime": m.PublishTime.Format(time.RFC3339Nano)},
			"subscription": "projects/" + project + "/subscriptions/push",
		})
		resp, err := http.Post(hs.URL+"/"+topic, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("push answered %d", resp.StatusCode)
		}
	}
	if len(got) != len(sent) {
		t.Fatalf("handler got %d events, want %d", len(got), len(sent))
	}
	for i := range sent {
		if !publishertest.Equal(got[i], sent[i]) {
			t.Errorf("event %d:\n got %v\nwant %v", i, got[i], sent[i])
		}
	}
}
