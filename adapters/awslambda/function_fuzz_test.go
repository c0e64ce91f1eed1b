package awslambda

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/fnkit/fnkit/handler"
)

// FuzzInvoke feeds any payload to a Function: it must never panic, every
// failure must be an InvokeResponse_Error with one of the four error
// types, and every result must be JSON.
func FuzzInvoke(f *testing.F) {
	f.Add([]byte(`{"Records":[{"messageId":"m","body":"{}","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-1:1:q"}]}`))
	h := handler.Typed(func(ctx context.Context, o orderIn) (orderIn, error) {
		if o.OrderID == "panic" {
			panic("fuzz")
		}
		return o, nil
	})
	fn := New(h, WithMaxPayloadBytes(1<<20))
	f.Fuzz(func(t *testing.T, payload []byte) {
		out, err := fn.Invoke(context.Background(), payload)
		if err != nil {
			var ie messages.InvokeResponse_Error
			if !errors.As(err, &ie) {
				t.Fatalf("error %T %v", err, err)
			}
			switch ie.Type {
			case ErrorTypeInvalidInput, ErrorTypePermanent, ErrorTypeThrottled, ErrorTypeRetryable:
			default:
				t.Fatalf("errorType %q", ie.Type)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("result is not JSON: %q", out)
		}
	})
}
