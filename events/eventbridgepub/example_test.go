package eventbridgepub_test

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/events/eventbridgepub"
)

func Example() {
	// A loopback EventBridge endpoint stands in for AWS here; in a
	// function, use eventbridge.NewFromConfig(cfg).
	s := startServer()
	defer s.srv.Close()
	client := eventbridge.New(eventbridge.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		BaseEndpoint: aws.String(s.srv.URL),
	})

	pub, err := eventbridgepub.New(client, s.bus("orders"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pub.Close()

	e := event.New()
	e.SetID("order-42")
	e.SetSource("com.example.orders")
	e.SetType("com.example.order.created")
	e.SetTime(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	_ = e.SetData("application/json", []byte(`{"order":42}`))

	entry, size, _ := pub.Entry(&e)
	fmt.Println(*entry.Source, "|", *entry.DetailType, "|", entry.Time.Format(time.RFC3339), "|", size, "bytes")
	fmt.Println(*entry.Detail)
	if err := pub.Publish(context.Background(), e); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(s.events()), "event on the bus")
	// Output:
	// com.example.orders | com.example.order.created | 2026-03-01T12:00:00Z | 246 bytes
	// {"specversion":"1.0","id":"order-42","source":"com.example.orders","type":"com.example.order.created","datacontenttype":"application/json","time":"2026-03-01T12:00:00Z","data":{"order":42}}
	// 1 event on the bus
}
