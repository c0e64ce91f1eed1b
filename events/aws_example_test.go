package events_test

import (
	"fmt"

	"github.com/fnkit/fnkit/events"
)

func ExampleFromSQS() {
	payload := []byte(`{"Records":[{"messageId":"m-1","body":"{\"orderId\":\"o-1\"}",
		"attributes":{"ApproximateReceiveCount":"2","SentTimestamp":"1545082649183"},
		"eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-2:123456789012:orders"}]}`)
	trigger, _ := events.DetectAWS(payload)
	recs, err := events.FromSQS(payload)
	if err != nil {
		panic(err)
	}
	e := recs[0].Event
	fmt.Println(trigger, e.ID(), e.Source(), e.Type(), e.DataContentType(), string(e.Data()), recs[0].Attempt)
	// Output: sqs m-1 arn:aws:sqs:us-east-2:123456789012:orders com.amazonaws.sqs.message application/json {"orderId":"o-1"} 2
}
