package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/fnkit/fnkit/examples/queue-worker/shipping"

	"github.com/fnkit/fnkit/adapters/awslambda"
	"github.com/fnkit/fnkit/state/memstore"
)

func sqsBatch(t testing.TB, bodies map[string]string, order []string) []byte {
	t.Helper()
	var recs []map[string]any
	for _, id := range order {
		recs = append(recs, map[string]any{
			"messageId": id, "receiptHandle": "rh-" + id, "body": bodies[id], "md5OfBody": "x",
			"attributes":        map[string]string{"ApproximateReceiveCount": "1", "SentTimestamp": "1545082649183", "SenderId": "AIDAIENQZJOLO23YVJ4VO", "ApproximateFirstReceiveTimestamp": "1545082649185"},
			"messageAttributes": map[string]any{}, "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:shipments", "awsRegion": "us-east-1",
		})
	}
	b, err := json.Marshal(map[string]any{"Records": recs})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLambdaPartialBatch(t *testing.T) {
	w := &shipping.Warehouse{}
	f := awslambda.New(shipping.NewHandler(w, memstore.New()))
	bodies := map[string]string{
		"ok-1": `{"orderId":"o-1","sku":"tea","qty":1}`, "ok-2": `{"orderId":"o-2","sku":"tea","qty":2}`,
		"flaky": `{"orderId":"o-3","sku":"flaky","qty":1}`, "gone": `{"orderId":"o-4","sku":"discontinued","qty":1}`,
		"junk": `not json`, "panic": `{"orderId":"o-5","sku":"panic","qty":1}`,
	}
	order := []string{"ok-1", "flaky", "ok-2", "gone", "junk", "panic"}
	out, err := f.Invoke(context.Background(), sqsBatch(t, bodies, order))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"batchItemFailures":[{"itemIdentifier":"flaky"},{"itemIdentifier":"gone"},{"itemIdentifier":"junk"},{"itemIdentifier":"panic"}]}`
	if string(out) != want {
		t.Errorf("response = %s\nwant       %s", out, want)
	}
	// The redelivered batch: the good ones are not shipped again.
	if _, err := f.Invoke(context.Background(), sqsBatch(t, bodies, order)); err != nil {
		t.Fatal(err)
	}
	if w.Shipped() != 2 {
		t.Errorf("shipped %d, want 2 (duplicates skipped)", w.Shipped())
	}
}

func TestStepFunctionsErrorTypes(t *testing.T) {
	f := awslambda.New(shipping.NewHandler(&shipping.Warehouse{}, memstore.New()))
	out, err := f.Invoke(context.Background(), []byte(`{"orderId":"o-9","sku":"tea","qty":11}`))
	if err != nil || string(out) != `{"orderId":"o-9","parcels":2}` {
		t.Fatalf("task = %s, %v", out, err)
	}
	for sku, want := range map[string]string{"discontinued": "Permanent", "busy": "Throttled", "flaky": "Retryable", "panic": "Retryable"} {
		_, err := f.Invoke(context.Background(), []byte(fmt.Sprintf(`{"orderId":"o","sku":%q,"qty":1}`, sku)))
		if got := awslambda.ErrorType(err); got != want {
			t.Errorf("%s: errorType %q, want %q (%v)", sku, got, want, err)
		}
	}
	_, err = f.Invoke(context.Background(), []byte(`{"orderId":"o"}`))
	if awslambda.ErrorType(err) != "InvalidInput" || !strings.Contains(err.Error(), "sku: is required") {
		t.Errorf("missing fields: %v", err)
	}
}
