// Command queue-worker is an AWS Lambda function that ships orders from an
// SQS queue, built on fnkit's awslambda adapter.
//
// Each message is one Shipment handled on its own; the function answers
// with the messages that failed (batchItemFailures; enable
// ReportBatchItemFailures on the event source mapping), so SQS redelivers
// only those. A discontinued SKU (a permanent failure) goes to the
// dead-letter queue when one is configured, and is otherwise reported
// failed until the queue's redrive policy moves it. Messages are
// deduplicated by the idempotency middleware.
//
// The same function can be a Step Functions task (a direct invocation):
// its errorType names the error class, so the state machine can match it
// (see statemachine.json):
//
//	"Retry": [{"ErrorEquals": ["Retryable", "Throttled"], "MaxAttempts": 3}],
//	"Catch": [{"ErrorEquals": ["InvalidInput", "Permanent"], "Next": "Refund"}]
//
// Build it for the provided.al2023 runtime:
//
//	GOOS=linux GOARCH=arm64 go build -tags lambda.norpc -ldflags=-s -o bootstrap ./examples/queue-worker
//
// The worker itself is package shipping (./shipping); this file only wires
// it to the Lambda adapter behind the default middleware stack.
//
// Records are kept in memory, per execution environment; give
// shipping.NewHandler a shared store (state/dynamostore) to deduplicate across environments.
package main

import (
	"fmt"
	"os"

	"github.com/fnkit/fnkit/adapters/awslambda"
	"github.com/fnkit/fnkit/examples/queue-worker/shipping"
	"github.com/fnkit/fnkit/middleware"
	"github.com/fnkit/fnkit/state/memstore"
)

func main() {
	w := &shipping.Warehouse{}
	if err := newFunction(w).Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// newFunction is the worker as a Lambda function: w's handler behind the
// default stack (one log line, a span and metrics per record), with an
// in-memory idempotency store.
func newFunction(w *shipping.Warehouse) *awslambda.Function {
	h := middleware.DefaultStack()(shipping.NewHandler(w, memstore.New()))
	return awslambda.New(h,
		// Lambda sends SIGTERM before shutting the environment down:
		// flush what must not be lost (here: a summary line).
		awslambda.WithSIGTERM(func() { fmt.Fprintf(os.Stderr, "queue-worker: shutting down after %d shipments\n", w.Shipped()) }))
}
