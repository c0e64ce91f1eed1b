// Command lambdabare is the bare aws-lambda-go SQS function that
// internal/bench compares examples/queue-worker with: the same work (decode
// each message's JSON body into a struct, ship it, report the failed
// messages), written by hand against aws-lambda-go's events.SQSEvent.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

type shipment struct {
	OrderID string `json:"orderId"`
	SKU     string `json:"sku"`
	Qty     int    `json:"qty"`
}

var shipped int

func ship(s shipment) error {
	if s.Qty < 1 || s.OrderID == "" {
		return errors.New("invalid shipment")
	}
	shipped++
	return nil
}

func handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, m := range ev.Records {
		var s shipment
		if err := json.Unmarshal([]byte(m.Body), &s); err != nil || ship(s) != nil {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	return resp, nil
}

func main() {
	if os.Getenv("AWS_LAMBDA_RUNTIME_API") == "" {
		fmt.Fprintln(os.Stderr, "not on Lambda")
		os.Exit(1)
	}
	lambda.Start(handle)
}
