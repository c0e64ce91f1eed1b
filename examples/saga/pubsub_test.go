package main

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/pubsub/v2/pstest"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/events/pubsubpub"
	"github.com/fnkit/fnkit/examples/saga/ordersaga"
	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/state/memstore"
)

// TestOverPubSub runs the saga the way Cloud Functions does: it publishes
// with the real Pub/Sub client (to pstest, Google's fake of the API, on
// 127.0.0.1), and each message comes back as Eventarc's messagePublished
// event — here built from the published message as a push delivery —
// twice, as Pub/Sub may redeliver. A failure in shipping is compensated,
// each compensation once.
func TestOverPubSub(t *testing.T) {
	ctx := context.Background()
	srv := pstest.NewServerWithAddress("127.0.0.1:0")
	defer srv.Close()
	if _, err := srv.GServer.CreateTopic(ctx, &pubsubpb.Topic{Name: "projects/demo/topics/saga"}); err != nil {
		t.Fatal(err)
	}
	client, err := pubsub.NewClient(ctx, "demo", option.WithEndpoint(srv.Addr), option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	pub, err := pubsubpub.New(client, "saga")
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	store := memstore.New()
	shop := ordersaga.NewShop(map[string]int{"tea": 10})
	shop.NoDelivery = []string{"AQ"}
	svc := ordersaga.NewService(store, pub, shop.Ports())
	h := newHandler(svc, quiet)

	o := order("ps1")
	o.Country = "AQ"
	if err := pub.Publish(ctx, placed(t, o)); err != nil {
		t.Fatal(err)
	}
	delivered := 0
	for deadline := time.Now().Add(20 * time.Second); delivered < len(srv.Messages()); delivered++ {
		if time.Now().After(deadline) {
			t.Fatal("the saga did not settle")
		}
		m := srv.Messages()[delivered]
		push, _ := json.Marshal(map[string]any{
			"message":      map[string]any{"data": m.Data, "attributes": m.Attributes, "messageId": m.ID, "publishTime": m.PublishTime.Format(time.RFC3339Nano)},
			"subscription": "projects/demo/subscriptions/eventarc-saga",
		})
		e, _, err := events.FromPubSubPush(push, "projects/demo/topics/saga")
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, err := handler.Call(ctx, h, e); err != nil {
				t.Fatalf("message %d (%s): %v", delivered, m.Attributes["ce-type"], err)
			}
		}
	}
	sg, err := svc.Get(ctx, "ps1")
	if err != nil || sg.Status != ordersaga.StatusCancelled {
		t.Fatalf("saga %+v %v", sg, err)
	}
	checkCalls(t, shop, "ps1", map[string]int{"reserve": 1, "charge": 1, "ship": 1, "refund": 1, "release": 1})
	// order.placed and the six outcomes, each published once.
	if n := len(srv.Messages()); n != 7 {
		t.Fatalf("%d messages published, want 7", n)
	}
	// A Pub/Sub message that is not a CloudEvent is invalid input.
	push := []byte(`{"message":{"data":"bm90IGFuIGV2ZW50","messageId":"x1","publishTime":"2026-03-14T03:00:00Z"},"subscription":"projects/demo/subscriptions/s"}`)
	e, _, err := events.FromPubSubPush(push, "projects/demo/topics/saga")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := handler.Call(ctx, h, e); handler.ClassOf(err) != handler.ClassInvalidInput {
		t.Fatalf("a message that is not a CloudEvent: %v", err)
	}
}
