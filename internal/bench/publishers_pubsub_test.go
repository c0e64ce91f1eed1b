package bench

import (
	"context"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/pubsub/v2/pstest"
	"github.com/cloudevents/sdk-go/v2/types"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/fnkit/fnkit/events/pubsubpub"
)

// BenchmarkPubSubEncode: the binary-mode message of one event, by
// pubsubpub and by hand (the ce- attributes map and the data).
func BenchmarkPubSubEncode(b *testing.B) {
	e := pubEvents(1)[0]
	for _, validate := range []bool{false, true} {
		name := map[bool]string{false: "byhand", true: "byhand+validate"}[validate]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if validate && e.Validate() != nil {
					b.Fatal("invalid")
				}
				attrs := map[string]string{"ce-specversion": e.SpecVersion(), "ce-id": e.ID(), "ce-source": e.Source(), "ce-type": e.Type(),
					"ce-subject": e.Subject(), "content-type": e.DataContentType()}
				for k, v := range e.Extensions() {
					s, _ := types.Format(v)
					attrs["ce-"+k] = s
				}
				m := &pubsub.Message{Data: e.DataEncoded, Attributes: attrs}
				if len(m.Attributes) == 0 {
					b.Fatal("no attributes")
				}
			}
		})
	}
	b.Run("pubsubpub", func(b *testing.B) {
		p, _ := pubsubpub.New(&pubsub.Client{}, "projects/p/topics/t")
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.Message(&e); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPublishPubSub: 100 events per op through the real client to
// pstest on 127.0.0.1, with the default batching and one message per
// request (CountThreshold 1).
func BenchmarkPublishPubSub(b *testing.B) {
	ctx := context.Background()
	srv := pstest.NewServerWithAddress("127.0.0.1:0")
	b.Cleanup(func() { _ = srv.Close() })
	_, _ = srv.GServer.CreateTopic(ctx, &pubsubpb.Topic{Name: "projects/bench/topics/orders"})
	c, err := pubsub.NewClient(ctx, "bench", option.WithEndpoint(srv.Addr), option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close() })
	evs := pubEvents(100)
	batched := pubsub.DefaultPublishSettings
	batched.DelayThreshold = time.Millisecond
	single := pubsub.DefaultPublishSettings
	single.CountThreshold = 1
	for name, s := range map[string]pubsub.PublishSettings{"batched": batched, "batch1": single} {
		b.Run(name, func(b *testing.B) {
			p, _ := pubsubpub.New(c, "orders", pubsubpub.WithPublishSettings(s))
			b.Cleanup(func() { _ = p.Close() })
			b.ReportAllocs()
			for b.Loop() {
				if err := p.Publish(ctx, evs...); err != nil {
					b.Fatal(err)
				}
				srv.ClearMessages()
			}
			b.ReportMetric(float64(b.N*len(evs))/b.Elapsed().Seconds(), "events/s")
		})
	}
}
