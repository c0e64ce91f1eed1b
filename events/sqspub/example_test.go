package sqspub_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/events/sqspub"
)

func Example() {
	// A loopback SQS endpoint stands in for AWS here; in a function, build
	// the client with sqs.NewFromConfig(cfg) from config.LoadDefaultConfig.
	s := startServer()
	defer s.srv.Close()
	queueURL := s.queue("orders")
	client := sqs.New(sqs.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		BaseEndpoint: aws.String(s.srv.URL),
	})

	pub, err := sqspub.New(client, queueURL)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pub.Close()

	e := event.New()
	e.SetID("order-42")
	e.SetSource("/orders")
	e.SetType("com.example.order.created")
	_ = e.SetData("application/json", []byte(`{"order":42}`))
	if err := pub.Publish(context.Background(), e); err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range s.messages(queueURL) {
		fmt.Println(m.body)
	}
	// Output:
	// {"specversion":"1.0","id":"order-42","source":"/orders","type":"com.example.order.created","datacontenttype":"application/json","data":{"order":42}}
}
