package snspub_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/events/snspub"
)

func Example() {
	// A loopback SNS endpoint stands in for AWS here; in a function, build
	// the client with sns.NewFromConfig(cfg) from config.LoadDefaultConfig.
	s := startBatchServer()
	defer s.srv.Close()
	topicARN := s.topic("orders")
	client := sns.New(sns.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		BaseEndpoint: aws.String(s.srv.URL),
	})

	pub, err := snspub.New(client, topicARN)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pub.Close()

	var batch []event.Event
	for _, id := range []string{"order-1", "order-2"} {
		e := event.New()
		e.SetID(id)
		e.SetSource("/orders")
		e.SetType("com.example.order.created")
		batch = append(batch, e)
	}
	if err := pub.Publish(context.Background(), batch...); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.ops())
	for _, m := range s.messages() {
		fmt.Println(m.message)
	}
	// Output:
	// [PublishBatch]
	// {"specversion":"1.0","id":"order-1","source":"/orders","type":"com.example.order.created"}
	// {"specversion":"1.0","id":"order-2","source":"/orders","type":"com.example.order.created"}
}
