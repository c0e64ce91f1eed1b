// Package awserr classifies the errors of aws-sdk-go-v2 service calls into
// fnkit's error classes, for the AWS bus publishers (events/sqspub,
// events/snspub, events/eventbridgepub), which differ only in their codes.
package awserr

import (
	"errors"

	"github.com/aws/smithy-go"

	"github.com/fnkit/fnkit/handler"
)

// Classify gives err (which wraps the SDK's error cause) its class: an API
// error whose code is in throttle is throttled; one whose code is in retry,
// or a server fault, or an HTTP 5xx, is retryable; 429 is throttled; any
// other API error is permanent. Errors that are no API error (network
// errors, deadlines, cancellation) stay retryable.
func Classify(err, cause error, throttle, retry map[string]bool) error {
	var ae smithy.APIError
	if !errors.As(cause, &ae) {
		return err
	}
	code := ae.ErrorCode()
	switch {
	case throttle[code]:
		return handler.Throttled(err, 0)
	case retry[code] || ae.ErrorFault() == smithy.FaultServer:
		return err
	}
	var st interface{ HTTPStatusCode() int }
	if errors.As(cause, &st) {
		switch s := st.HTTPStatusCode(); {
		case s == 429:
			return handler.Throttled(err, 0)
		case s >= 500:
			return err
		}
	}
	return handler.Permanent(err)
}
