package awserr

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/fnkit/fnkit/handler"
)

// statusError is an API error that also carries an HTTP status, as the
// SDK's response errors do.
type statusError struct {
	smithy.GenericAPIError
	status int
}

func (e *statusError) HTTPStatusCode() int { return e.status }

func TestClassify(t *testing.T) {
	throttle, retry := map[string]bool{"Throttling": true}, map[string]bool{"ServiceUnavailable": true}
	api := func(code string, fault smithy.ErrorFault) error {
		return &smithy.GenericAPIError{Code: code, Message: "m", Fault: fault}
	}
	for name, tt := range map[string]struct {
		cause error
		want  handler.Class
	}{
		"throttle code": {api("Throttling", smithy.FaultClient), handler.ClassThrottled},
		"retry code":    {api("ServiceUnavailable", smithy.FaultClient), handler.ClassRetryable},
		"server fault":  {api("InternalError", smithy.FaultServer), handler.ClassRetryable},
		"client fault":  {api("InvalidParameterValue", smithy.FaultClient), handler.ClassPermanent},
		"429":           {&statusError{smithy.GenericAPIError{Code: "X"}, 429}, handler.ClassThrottled},
		"503":           {&statusError{smithy.GenericAPIError{Code: "X"}, 503}, handler.ClassRetryable},
		"400":           {&statusError{smithy.GenericAPIError{Code: "X"}, 400}, handler.ClassPermanent},
		"network":       {errors.New("connection refused"), handler.ClassRetryable},
	} {
		t.Run(name, func(t *testing.T) {
			err := Classify(fmt.Errorf("publish: %w", tt.cause), tt.cause, throttle, retry)
			if got := handler.ClassOf(err); got != tt.want {
				t.Fatalf("class %v, want %v", got, tt.want)
			}
			if !errors.Is(err, tt.cause) {
				t.Fatal("the cause is lost")
			}
		})
	}
}
