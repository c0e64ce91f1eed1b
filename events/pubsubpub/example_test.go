package pubsubpub_test

import (
	"context"
	"fmt"
	"sort"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/pubsub/v2/pstest"
	"github.com/cloudevents/sdk-go/v2/event"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/fnkit/fnkit/events/pubsubpub"
)

func Example() {
	ctx := context.Background()
	// pstest, Google's fake of the Pub/Sub API, stands in for Pub/Sub here;
	// in a function, pubsub.NewClient(ctx, projectID) is enough.
	srv := pstest.NewServerWithAddress("127.0.0.1:0")
	defer srv.Close()
	_, _ = srv.GServer.CreateTopic(ctx, &pubsubpb.Topic{Name: "projects/demo/topics/orders"})
	client, err := pubsub.NewClient(ctx, "demo", option.WithEndpoint(srv.Addr), option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	pub, err := pubsubpub.New(client, "orders", pubsubpub.WithOrderingKey(pubsubpub.Subject()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pub.Close()

	e := event.New()
	e.SetID("order-42")
	e.SetSource("//example.com/orders")
	e.SetType("com.example.order.created")
	e.SetSubject("customer-7")
	_ = e.SetData("application/json", []byte(`{"order":42}`))
	if err := pub.Publish(ctx, e); err != nil {
		fmt.Println(err)
		return
	}

	m := srv.Messages()[0]
	keys := make([]string, 0, len(m.Attributes))
	for k := range m.Attributes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("%s: %s\n", k, m.Attributes[k])
	}
	fmt.Printf("data: %s, ordering key: %s\n", m.Data, m.OrderingKey)

	back, err := pubsubpub.FromMessage(m.Data, m.Attributes)
	fmt.Println(back.ID(), back.Subject(), err)
	// Output:
	// ce-id: order-42
	// ce-source: //example.com/orders
	// ce-specversion: 1.0
	// ce-subject: customer-7
	// ce-type: com.example.order.created
	// content-type: application/json
	// data: {"order":42}, ordering key: customer-7
	// order-42 customer-7 <nil>
}
