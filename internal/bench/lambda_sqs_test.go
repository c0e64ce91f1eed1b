package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/fnkit/fnkit/adapters/awslambda"
	"github.com/fnkit/fnkit/handler"
)

// sqsOrder is the body of each benchmark message.
type sqsOrder struct {
	OrderID string `json:"orderId"`
	SKU     string `json:"sku"`
	Qty     int    `json:"qty"`
}

// sqsWork is the business logic both sides run: the last message of a
// batch of more than one fails, so both report one batch item failure.
func sqsWork(o sqsOrder) error {
	if o.Qty == 99 {
		return fmt.Errorf("out of stock: %s", o.SKU)
	}
	return nil
}

// sqsPayload is a real-shaped SQS batch of n messages.
func sqsPayload(tb testing.TB, n int) []byte {
	tb.Helper()
	var ev events.SQSEvent
	for i := 0; i < n; i++ {
		qty := 1 + i
		if n > 1 && i == n-1 {
			qty = 99
		}
		body, _ := json.Marshal(sqsOrder{OrderID: "o-" + strconv.Itoa(i), SKU: "tea", Qty: qty})
		ev.Records = append(ev.Records, events.SQSMessage{
			MessageId: fmt.Sprintf("059f36b4-87a3-44ab-83d2-66197583%04d", i), ReceiptHandle: "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
			Body: string(body), Md5OfBody: "e4e68fb7bd0e697a0ae8f1bb342846b3", EventSource: "aws:sqs",
			EventSourceARN: "arn:aws:sqs:us-east-2:123456789012:my-queue", AWSRegion: "us-east-2",
			Attributes: map[string]string{"ApproximateReceiveCount": "1", "SentTimestamp": "1545082649183",
				"SenderId": "AIDAIENQZJOLO23YVJ4VO", "ApproximateFirstReceiveTimestamp": "1545082649185"},
			MessageAttributes: map[string]events.SQSMessageAttribute{},
		})
	}
	b, err := json.Marshal(ev)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// bareSQS is the hand-written aws-lambda-go handler.
func bareSQS(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for _, m := range ev.Records {
		var o sqsOrder
		if err := json.Unmarshal([]byte(m.Body), &o); err != nil || sqsWork(o) != nil {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	return resp, nil
}

// fnkitSQS is the adapter with a typed handler. Failed records are logged
// to a discarding logger: the hand-written handler logs nothing either.
func fnkitSQS(opts ...awslambda.Option) lambda.Handler {
	opts = append(opts, awslambda.WithLogger(slog.New(slog.DiscardHandler)))
	return lambda.NewHandler(awslambda.New(handler.TypedNoReply(func(ctx context.Context, o sqsOrder) error { return sqsWork(o) }), opts...))
}

func TestLambdaSQSPeersAgree(t *testing.T) {
	for _, n := range []int{1, 10} {
		payload := sqsPayload(t, n)
		a, err := lambda.NewHandler(bareSQS).Invoke(context.Background(), payload)
		if err != nil {
			t.Fatal(err)
		}
		b, err := fnkitSQS().Invoke(context.Background(), payload)
		if err != nil {
			t.Fatal(err)
		}
		var ra, rb events.SQSEventResponse
		if json.Unmarshal(a, &ra) != nil || json.Unmarshal(b, &rb) != nil || fmt.Sprint(ra) != fmt.Sprint(rb) {
			t.Errorf("%d records: bare %s, fnkit %s", n, a, b)
		}
		if want := min(n-1, 1); len(rb.BatchItemFailures) != want {
			t.Errorf("%d records: %d failures, want %d", n, len(rb.BatchItemFailures), want)
		}
	}
}

// BenchmarkLambdaSQS: the same SQS batches through lambda.NewHandler(...).Invoke,
// a hand-written aws-lambda-go handler against fnkit's adapter with a typed handler.
func BenchmarkLambdaSQS(b *testing.B) {
	for _, n := range []int{1, 10} {
		payload := sqsPayload(b, n)
		for _, c := range []struct {
			name string
			h    lambda.Handler
		}{{"bare", lambda.NewHandler(bareSQS)}, {"fnkit", fnkitSQS()}, {"fnkit-sequential", fnkitSQS(awslambda.WithConcurrency(1))}} {
			b.Run(fmt.Sprintf("records=%d/%s", n, c.name), func(b *testing.B) {
				ctx := context.Background()
				b.ReportAllocs()
				b.SetBytes(int64(len(payload)))
				for b.Loop() {
					if _, err := c.h.Invoke(ctx, payload); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkLambdaSQSInterleaved alternates the hand-written handler and
// fnkit's adapter invocation by invocation, so that load from other work
// on the machine hits both alike, and reports each one's mean and the
// ratio fnkit/bare.
func BenchmarkLambdaSQSInterleaved(b *testing.B) {
	for _, n := range []int{1, 10} {
		payload := sqsPayload(b, n)
		for _, c := range []struct {
			name string
			h    lambda.Handler
		}{{"fnkit", fnkitSQS()}, {"fnkit-sequential", fnkitSQS(awslambda.WithConcurrency(1))}} {
			b.Run(fmt.Sprintf("records=%d/%s", n, c.name), func(b *testing.B) {
				ctx := context.Background()
				bare := lambda.NewHandler(bareSQS)
				var tb, tf time.Duration
				for b.Loop() {
					t0 := time.Now()
					if _, err := bare.Invoke(ctx, payload); err != nil {
						b.Fatal(err)
					}
					t1 := time.Now()
					if _, err := c.h.Invoke(ctx, payload); err != nil {
						b.Fatal(err)
					}
					tb += t1.Sub(t0)
					tf += time.Since(t1)
				}
				b.ReportMetric(float64(tb.Nanoseconds())/float64(b.N), "bare-ns/op")
				b.ReportMetric(float64(tf.Nanoseconds())/float64(b.N), "fnkit-ns/op")
				b.ReportMetric(float64(tf)/float64(tb), "fnkit/bare")
			})
		}
	}
}
