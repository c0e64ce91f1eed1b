package events_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/handler"
)

// Publish to a CloudEvents HTTP sink in binary mode. In a Knative
// service, HTTPPublisherFromEnv takes the sink from K_SINK instead.
func ExampleHTTPPublisher() {
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("sink got", r.Header.Get("Ce-Type"), r.Header.Get("Ce-Id"))
		if r.Header.Get("Ce-Type") == "com.example.refused" {
			http.Error(w, "no such order", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer sink.Close()

	pub, err := events.NewHTTPPublisher(sink.URL, events.WithRetries(2, 10*time.Millisecond, time.Second))
	if err != nil {
		fmt.Println(err)
		return
	}
	ok := event.New()
	ok.SetID("1")
	ok.SetSource("/orders")
	ok.SetType("com.example.order.shipped")
	refused := ok.Clone()
	refused.SetID("2")
	refused.SetType("com.example.refused")

	err = pub.Publish(context.Background(), ok, refused)
	var se *events.StatusError
	fmt.Println(events.FailedIndexes(err, 2), handler.ClassOf(err), errors.As(err, &se) && se.StatusCode == 400)
	// Output:
	// sink got com.example.order.shipped 1
	// sink got com.example.refused 2
	// [1] permanent true
}

// A permanent failure goes to the dead-letter publisher and is reported
// as handled, so the platform neither retries nor drops it.
func ExampleDeadLetter_Middleware() {
	dlq := events.NewMemory()
	h := handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		return nil, handler.Permanent(errors.New("order 42 was cancelled"))
	})
	h2 := events.NewDeadLetter(dlq).Middleware()(h)

	e := event.New()
	e.SetID("42")
	e.SetSource("/orders")
	e.SetType("com.example.order.ship")
	_, err := h2.Handle(context.Background(), e)
	fmt.Println(err)
	for _, d := range dlq.Events() {
		fmt.Println(d.ID(), d.Extensions()[events.ExtErrorClass], d.Extensions()[events.ExtError])
	}
	// Output:
	// <nil>
	// 42 permanent handler: permanent failure: order 42 was cancelled
}
