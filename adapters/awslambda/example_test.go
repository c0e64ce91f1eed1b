package awslambda_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/fnkit/fnkit/adapters/awslambda"
	"github.com/fnkit/fnkit/handler"
)

type job struct {
	ID string `json:"id"`
}

// An SQS batch with one failing message: only that one is reported, so
// Lambda redelivers just it.
func Example() {
	h := handler.TypedNoReply(func(ctx context.Context, j job) error {
		if j.ID == "2" {
			return errors.New("database unavailable")
		}
		return nil
	})
	f := awslambda.New(h) // in main: awslambda.Start(h)
	out, err := f.Invoke(context.Background(), []byte(`{"Records":[
		{"messageId":"m-1","body":"{\"id\":\"1\"}","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-1:123456789012:jobs"},
		{"messageId":"m-2","body":"{\"id\":\"2\"}","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-1:123456789012:jobs"}]}`))
	fmt.Println(string(out), err)
	// Output: {"batchItemFailures":[{"itemIdentifier":"m-2"}]} <nil>
}

// A direct invocation (a Step Functions task): the errorType names the
// error's class, for Retry and Catch rules.
func Example_errorType() {
	h := handler.Typed(func(ctx context.Context, j job) (job, error) {
		return j, handler.Permanent(errors.New("job cancelled"))
	})
	_, err := awslambda.New(h).Invoke(context.Background(), []byte(`{"id":"7"}`))
	fmt.Println(awslambda.ErrorType(err) == awslambda.ErrorTypePermanent, err != nil)
	// Output: true true
}
