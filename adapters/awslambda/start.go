package awslambda

import (
	"errors"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/fnkit/fnkit/handler"
)

// ErrNoRuntimeAPI is returned by Start outside Lambda, where
// AWS_LAMBDA_RUNTIME_API is not set; aws-lambda-go would log.Fatalf
// instead.
var ErrNoRuntimeAPI = errors.New("awslambda: AWS_LAMBDA_RUNTIME_API is not set: not running on AWS Lambda (or its emulator)")

// Start runs f on the Lambda runtime: it reads AWS_LAMBDA_RUNTIME_API
// (the one place this package reads the environment) and returns
// ErrNoRuntimeAPI at once if it is not set. Otherwise it hands f to
// aws-lambda-go's runtime loop, which does not return: if the loop ever
// fails, aws-lambda-go ends the process, and Lambda starts a new one. With
// WithSIGTERM the hooks run when Lambda sends SIGTERM before shutting the
// execution environment down.
func (f *Function) Start() error {
	if os.Getenv("AWS_LAMBDA_RUNTIME_API") == "" {
		return ErrNoRuntimeAPI
	}
	var opts []lambda.Option
	if len(f.cfg.sigterm) > 0 {
		opts = append(opts, lambda.WithEnableSIGTERM(f.cfg.sigterm...))
	}
	lambda.StartWithOptions(f, opts...)
	return nil // not reached
}

// Start is New(h, opts...).Start(): it runs the event handler h on Lambda
// behind every trigger.
func Start(h handler.Handler, opts ...Option) error { return New(h, opts...).Start() }

// StartHTTP is NewHTTP(h, opts...).Start(): it runs the http.Handler h on
// Lambda behind API Gateway, ALB or a function URL.
func StartHTTP(h http.Handler, opts ...Option) error { return NewHTTP(h, opts...).Start() }
