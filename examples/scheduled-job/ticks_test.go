package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fnkit/fnkit/examples/scheduled-job/nightly"

	"github.com/fnkit/fnkit/adapters/awslambda"
	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/handler/handlertest"
	"github.com/fnkit/fnkit/state"
	"github.com/fnkit/fnkit/state/memstore"
)

// scheduledEvent is what an EventBridge schedule sends a Lambda target.
const scheduledEvent = `{
  "version": "0",
  "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
  "detail-type": "Scheduled Event",
  "source": "aws.events",
  "account": "123456789012",
  "time": "2026-03-14T03:00:00Z",
  "region": "us-east-1",
  "resources": ["arn:aws:events:us-east-1:123456789012:rule/nightly"],
  "detail": {}
}`

// TestEventBridgeScheduleOnLambda feeds the Lambda adapter the real
// payload of an EventBridge schedule: the run is as of the event's time,
// named after its id, and a redelivery of the same payload runs nothing.
func TestEventBridgeScheduleOnLambda(t *testing.T) {
	store := memstore.New()
	job := nightly.NewJob(store, 48*time.Hour, time.Now)
	h := newHandler(store, job, quiet)
	fn := awslambda.New(h)
	mustInvoke(t, h, placedEvent(t, "a", asOf.Add(-49*time.Hour)))
	mustInvoke(t, h, placedEvent(t, "fresh", asOf.Add(-47*time.Hour)))
	out, err := fn.Invoke(context.Background(), []byte(scheduledEvent))
	if err != nil || string(out) != "null" {
		t.Fatalf("invoke: %s %v", out, err)
	}
	if o := status(t, job, "a"); o.Status != nightly.StatusExpired || o.ExpiredBy != "aws.events#53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa" {
		t.Fatalf("a: %+v", o)
	}
	if o := status(t, job, "fresh"); o.Status != nightly.StatusPending {
		t.Fatalf("the cutoff is not the schedule's time: fresh %+v", o)
	}
	mustInvoke(t, h, placedEvent(t, "b", asOf.Add(-72*time.Hour)))
	if _, err := fn.Invoke(context.Background(), []byte(scheduledEvent)); err != nil {
		t.Fatal(err)
	}
	if o := status(t, job, "b"); o.Status != nightly.StatusPending {
		t.Fatalf("a redelivered schedule event ran again: %+v", o)
	}
	// A store that fails makes the invocation fail, retryable, so that
	// Lambda retries the event.
	broken := newHandler(memstore.New(), nightly.NewJob(failingStore{}, time.Hour, time.Now), quiet)
	if _, err := awslambda.New(broken).Invoke(context.Background(), []byte(scheduledEvent)); err == nil || !strings.Contains(err.Error(), "Retryable") {
		t.Fatalf("failing store: %v", err)
	}
}

// serve runs the job behind httpserver on 127.0.0.1, with the options
// main uses.
func serve(t *testing.T, job *nightly.Job, store *memstore.Store) string {
	t.Helper()
	srv := httptest.NewServer(httpserver.New(newHandler(store, job, quiet), httpOptions()...))
	t.Cleanup(srv.Close)
	return srv.URL
}

func do(t *testing.T, req *http.Request) (int, http.Header, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// TestPingSourceOverHTTP posts a Knative PingSource's CloudEvent (binary
// mode, as the PingSource adapter sends it) over loopback HTTP and reads
// the report from the reply.
func TestPingSourceOverHTTP(t *testing.T) {
	store := memstore.New()
	job := nightly.NewJob(store, 48*time.Hour, time.Now)
	if err := job.Place(context.Background(), nightly.Order{ID: "a", PlacedAt: asOf.Add(-50 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	url := serve(t, job, store)
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{}`))
	req.Header.Set("Ce-Specversion", "1.0")
	req.Header.Set("Ce-Id", "a5b1b6c2-6a04-4b8e-9ad8-1d5e8d6e1f7a")
	req.Header.Set("Ce-Source", "/apis/v1/namespaces/default/pingsources/nightly")
	req.Header.Set("Ce-Type", "dev.knative.sources.ping")
	req.Header.Set("Ce-Time", "2026-03-14T03:00:00.000412Z")
	req.Header.Set("Content-Type", "application/json")
	code, h, body := do(t, req)
	if code != http.StatusOK || h.Get("Ce-Type") != nightly.TypeReport {
		t.Fatalf("%d %v %s", code, h, body)
	}
	var rep nightly.Report
	if err := json.Unmarshal([]byte(body), &rep); err != nil || !slices.Equal(rep.Expired, []string{"a"}) ||
		!rep.AsOf.Equal(time.Date(2026, 3, 14, 3, 0, 0, 412000, time.UTC)) {
		t.Fatalf("report %s %v", body, err)
	}
}

// cloudSchedulerPost is Cloud Scheduler's HTTP target request for the
// run scheduled at at.
func cloudSchedulerPost(t *testing.T, url string, at string) *http.Request {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(`{"reason":"nightly"}`))
	req.Header.Set("User-Agent", "Google-Cloud-Scheduler")
	req.Header.Set("X-CloudScheduler", "true")
	req.Header.Set("X-CloudScheduler-JobName", "nightly-expiry")
	req.Header.Set("X-CloudScheduler-ScheduleTime", at)
	req.Header.Set("Content-Type", "application/octet-stream")
	return req
}

// TestCloudSchedulerOverHTTP posts Cloud Scheduler's HTTP request over
// loopback HTTP: the tick is the scheduled run, a retry of it gets the
// same report without running, and a request missing the schedule time is
// refused with 400 naming the header.
func TestCloudSchedulerOverHTTP(t *testing.T) {
	store := memstore.New()
	job := nightly.NewJob(store, 48*time.Hour, time.Now)
	ctx := context.Background()
	if err := job.Place(ctx, nightly.Order{ID: "a", PlacedAt: asOf.Add(-50 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	url := serve(t, job, store)
	code, h, first := do(t, cloudSchedulerPost(t, url, "2026-03-14T03:00:00Z"))
	if code != http.StatusOK || h.Get("Ce-Type") != nightly.TypeReport {
		t.Fatalf("%d %v %s", code, h, first)
	}
	var rep nightly.Report
	if err := json.Unmarshal([]byte(first), &rep); err != nil || !slices.Equal(rep.Expired, []string{"a"}) ||
		rep.Run != "cloudscheduler.googleapis.com/nightly-expiry#nightly-expiry@2026-03-14T03:00:00Z" {
		t.Fatalf("report %s %v", first, err)
	}
	if err := job.Place(ctx, nightly.Order{ID: "b", PlacedAt: asOf.Add(-50 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	// Cloud Scheduler retries a failed attempt with the same schedule time.
	if code, _, again := do(t, cloudSchedulerPost(t, url, "2026-03-14T03:00:00Z")); code != http.StatusOK || again != first {
		t.Fatalf("retry: %d %s, want %s", code, again, first)
	}
	if o := status(t, job, "b"); o.Status != nightly.StatusPending {
		t.Fatalf("the retry ran again: %+v", o)
	}
	bad := cloudSchedulerPost(t, url, "")
	bad.Header.Del("X-CloudScheduler-ScheduleTime")
	if code, _, body := do(t, bad); code != http.StatusBadRequest || !strings.Contains(body, "X-CloudScheduler-ScheduleTime is missing") {
		t.Fatalf("missing schedule time: %d %s", code, body)
	}
	if code, _, body := do(t, cloudSchedulerPost(t, url, "yesterday")); code != http.StatusBadRequest || !strings.Contains(body, "not an RFC 3339 time") {
		t.Fatalf("bad schedule time: %d %s", code, body)
	}
	// A plain POST is a manual run, as of now.
	req, _ := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	code, _, body := do(t, req)
	if err := json.Unmarshal([]byte(body), &rep); code != http.StatusOK || err != nil || !slices.Equal(rep.Expired, []string{"b"}) {
		t.Fatalf("manual run: %d %s", code, body)
	}
}

// TestCloudSchedulerThroughPubSub: on Cloud Functions, Cloud Scheduler
// publishes to the function's topic; the tick is the messagePublished
// event, as of its publish time.
func TestCloudSchedulerThroughPubSub(t *testing.T) {
	store := memstore.New()
	job := nightly.NewJob(store, 48*time.Hour, time.Now)
	h := newHandler(store, job, quiet)
	mustInvoke(t, h, placedEvent(t, "a", asOf.Add(-50*time.Hour)))
	push := `{"message":{"data":"e30=","messageId":"9876543210","publishTime":"2026-03-14T03:00:01.512Z"},"subscription":"projects/acme/subscriptions/eventarc-nightly"}`
	e, _, err := events.FromPubSubPush([]byte(push), "projects/acme/topics/nightly-ticks")
	if err != nil {
		t.Fatal(err)
	}
	rep := handlertest.ReplyAs[nightly.Report](t, mustInvoke(t, h, e))
	if !slices.Equal(rep.Expired, []string{"a"}) || !rep.AsOf.Equal(time.Date(2026, 3, 14, 3, 0, 1, 512e6, time.UTC)) {
		t.Fatalf("report %+v", rep)
	}
}

// TestIsTick: only the schedulers' events run the job.
func TestIsTick(t *testing.T) {
	for typ, want := range map[string]bool{nightly.TypeTick: true, nightly.TypeEventBridgeSchedule: true, nightly.TypePing: true,
		events.TypePubSubMessagePublished: true, nightly.TypeOrderPlaced: false, "com.example.other": false} {
		if got := nightly.IsTick(handlertest.NewEvent(handlertest.WithType(typ))); got != want {
			t.Errorf("IsTick(%s) = %v", typ, got)
		}
	}
	store := memstore.New()
	res := handlertest.Invoke(context.Background(), newHandler(store, nightly.NewJob(store, time.Hour, time.Now), quiet),
		handlertest.NewEvent(handlertest.WithType("com.example.other")))
	if res.Err != nil || res.Reply != nil || res.Class() != handler.ClassNone {
		t.Fatalf("other event: %v %v", res.Reply, res.Err)
	}
}

// failingStore is a state.Store that is down.
type failingStore struct{}

var errDown = errors.New("store down")

func (failingStore) Get(context.Context, string) (state.Item, error) { return state.Item{}, errDown }
func (failingStore) Create(context.Context, string, []byte, time.Duration) (state.Item, error) {
	return state.Item{}, errDown
}
func (failingStore) Put(context.Context, string, []byte, time.Duration) (state.Version, error) {
	return state.AnyVersion, errDown
}
func (failingStore) CompareAndSwap(context.Context, string, state.Version, []byte, time.Duration) (state.Version, error) {
	return state.AnyVersion, errDown
}
func (failingStore) Delete(context.Context, string, state.Version) error { return errDown }
