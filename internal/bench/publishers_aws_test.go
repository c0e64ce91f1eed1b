package bench

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/events/eventbridgepub"
	"github.com/fnkit/fnkit/events/snspub"
	"github.com/fnkit/fnkit/events/sqspub"
)

// pubEvents returns n events like a handler emits: JSON data, a subject,
// an extension.
func pubEvents(n int) []event.Event {
	evs := make([]event.Event, n)
	for i := range evs {
		e := event.New()
		e.SetID("evt-" + strconv.Itoa(i))
		e.SetSource("com.example.orders")
		e.SetType("com.example.order.created")
		e.SetSubject("orders/" + strconv.Itoa(i))
		e.SetExtension("tenant", "acme")
		// Data as a decoded event holds it (DataBase64 false), so that the
		// SDK's MarshalJSON writes it as JSON, as the publishers do.
		e.SetDataContentType("application/json")
		e.DataEncoded = []byte(`{"order":` + strconv.Itoa(i) + `,"items":[{"sku":"A-1","qty":2}],"note":"leave at the door"}`)
		evs[i] = e
	}
	return evs
}

// Accepting in-process APIs: they answer success without work, so the
// encode benchmarks measure the publisher (or the code by hand) alone.
type okSQS struct{}

func (okSQS) SendMessageBatch(_ context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	out := &sqs.SendMessageBatchOutput{Successful: make([]sqstypes.SendMessageBatchResultEntry, len(in.Entries))}
	for i := range in.Entries {
		out.Successful[i].Id = in.Entries[i].Id
	}
	return out, nil
}

type okSNS struct{}

func (okSNS) Publish(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error) {
	return &sns.PublishOutput{}, nil
}

func (okSNS) PublishBatch(_ context.Context, in *sns.PublishBatchInput, _ ...func(*sns.Options)) (*sns.PublishBatchOutput, error) {
	out := &sns.PublishBatchOutput{Successful: make([]snstypes.PublishBatchResultEntry, len(in.PublishBatchRequestEntries))}
	for i := range in.PublishBatchRequestEntries {
		out.Successful[i].Id = in.PublishBatchRequestEntries[i].Id
	}
	return out, nil
}

type okEB struct{}

var ebID = aws.String("eb-1")

func (okEB) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	out := &eventbridge.PutEventsOutput{Entries: make([]ebtypes.PutEventsResultEntry, len(in.Entries))}
	for i := range out.Entries {
		out.Entries[i].EventId = ebID
	}
	return out, nil
}

// BenchmarkPublishEncode: ten events per op through each publisher to an
// accepting in-process API, against building the same SDK input by hand
// (structured JSON with the SDK's MarshalJSON, entries with index ids).
func BenchmarkPublishEncode(b *testing.B) {
	evs := pubEvents(10)
	ctx := context.Background()
	queue := "https://sqs.us-east-1.amazonaws.com/000000000000/orders"
	for _, validate := range []bool{false, true} {
		name := map[bool]string{false: "byhand", true: "byhand+validate"}[validate]
		b.Run("sqs/"+name, func(b *testing.B) {
			api := okSQS{}
			b.ReportAllocs()
			for b.Loop() {
				in := &sqs.SendMessageBatchInput{QueueUrl: &queue, Entries: make([]sqstypes.SendMessageBatchRequestEntry, len(evs))}
				for i := range evs {
					if validate && evs[i].Validate() != nil {
						b.Fatal("invalid")
					}
					body, err := evs[i].MarshalJSON()
					if err != nil {
						b.Fatal(err)
					}
					id, s := strconv.Itoa(i), string(body)
					in.Entries[i] = sqstypes.SendMessageBatchRequestEntry{Id: &id, MessageBody: &s}
				}
				if _, err := api.SendMessageBatch(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
		})
		if !validate {
			b.Run("sqs/sqspub", func(b *testing.B) {
				p, _ := sqspub.New(okSQS{}, queue)
				b.ReportAllocs()
				for b.Loop() {
					if err := p.Publish(ctx, evs...); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		arn := "arn:aws:sns:us-east-1:000000000000:orders"
		b.Run("sns/"+name, func(b *testing.B) {
			api := okSNS{}
			b.ReportAllocs()
			for b.Loop() {
				in := &sns.PublishBatchInput{TopicArn: &arn, PublishBatchRequestEntries: make([]snstypes.PublishBatchRequestEntry, len(evs))}
				for i := range evs {
					if validate && evs[i].Validate() != nil {
						b.Fatal("invalid")
					}
					body, err := evs[i].MarshalJSON()
					if err != nil {
						b.Fatal(err)
					}
					id, s := strconv.Itoa(i), string(body)
					in.PublishBatchRequestEntries[i] = snstypes.PublishBatchRequestEntry{Id: &id, Message: &s}
				}
				if _, err := api.PublishBatch(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
		})
		if !validate {
			b.Run("sns/snspub", func(b *testing.B) {
				p, _ := snspub.New(okSNS{}, arn)
				b.ReportAllocs()
				for b.Loop() {
					if err := p.Publish(ctx, evs...); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		b.Run("eventbridge/"+name, func(b *testing.B) {
			api := okEB{}
			b.ReportAllocs()
			for b.Loop() {
				in := &eventbridge.PutEventsInput{Entries: make([]ebtypes.PutEventsRequestEntry, len(evs))}
				for i := range evs {
					if validate && evs[i].Validate() != nil {
						b.Fatal("invalid")
					}
					detail, err := evs[i].MarshalJSON()
					if err != nil {
						b.Fatal(err)
					}
					src, typ, d, t := evs[i].Source(), evs[i].Type(), string(detail), evs[i].Time()
					in.Entries[i] = ebtypes.PutEventsRequestEntry{Source: &src, DetailType: &typ, Detail: &d}
					if !t.IsZero() {
						in.Entries[i].Time = &t
					}
				}
				if _, err := api.PutEvents(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("eventbridge/eventbridgepub", func(b *testing.B) {
		p, _ := eventbridgepub.New(okEB{}, "")
		b.ReportAllocs()
		for b.Loop() {
			if err := p.Publish(ctx, evs...); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// sqsLoopback is the least SQS JSON 1.0 endpoint a real client accepts
// for SendMessageBatch (ids and body MD5s), on 127.0.0.1.
func sqsLoopback(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Entries []struct{ Id, MessageBody string }
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		type ok struct{ Id, MessageId, MD5OfMessageBody string }
		out := struct {
			Successful []ok
			Failed     []struct{}
		}{Failed: []struct{}{}}
		for i, e := range in.Entries {
			sum := md5.Sum([]byte(e.MessageBody))
			out.Successful = append(out.Successful, ok{e.Id, fmt.Sprint("m", i), hex.EncodeToString(sum[:])})
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_ = json.NewEncoder(w).Encode(out)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkPublishSQSLoopback: 100 events per op through the real SDK
// client to a loopback SQS endpoint, in batches of ten and one by one.
func BenchmarkPublishSQSLoopback(b *testing.B) {
	srv := sqsLoopback(b)
	c := sqs.New(sqs.Options{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		BaseEndpoint: aws.String(srv.URL)})
	evs := pubEvents(100)
	for _, size := range []int{10, 1} {
		b.Run(fmt.Sprintf("batch%d", size), func(b *testing.B) {
			p, _ := sqspub.New(c, srv.URL+"/000000000000/orders", sqspub.WithBatchSize(size))
			b.ReportAllocs()
			for b.Loop() {
				if err := p.Publish(context.Background(), evs...); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*len(evs))/b.Elapsed().Seconds(), "events/s")
		})
	}
}
