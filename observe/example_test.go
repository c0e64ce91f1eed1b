package observe_test

import (
	"context"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/handler/handlertest"
	"github.com/fnkit/fnkit/middleware"
	"github.com/fnkit/fnkit/observe"
)

func ExampleFromEnv() {
	// A Lambda function without a collector: the platform is detected,
	// nothing is exported, and the middleware cost almost nothing.
	vars := map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "orders", "AWS_REGION": "eu-west-1"}
	tel, err := observe.FromEnv(context.Background(), observe.WithoutGlobals(),
		observe.WithLookupEnv(func(k string) (string, bool) { v, ok := vars[k]; return v, ok }))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tel.Shutdown(context.Background())
	h := handler.Chain(tel.FlushMiddleware(), middleware.Tracing(tel.Options()...), middleware.Metrics(tel.Options()...))(handler.Func(
		func(ctx context.Context, e event.Event) (*event.Event, error) { return nil, nil }))
	res := handlertest.Invoke(context.Background(), h, handlertest.NewEvent())
	traces, metrics := tel.Exporting()
	fmt.Println(tel.Platform(), traces, metrics, res.Err)
	// Output: aws_lambda false false <nil>
}

func ExampleFromEnv_badVariable() {
	vars := map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}
	_, err := observe.FromEnv(context.Background(), observe.WithoutGlobals(),
		observe.WithLookupEnv(func(k string) (string, bool) { v, ok := vars[k]; return v, ok }))
	fmt.Println(err)
	// Output: observe: invalid configuration: OTEL_EXPORTER_OTLP_PROTOCOL: protocol "grpc" is not supported: fnkit exports http/protobuf only (no gRPC, to keep functions small)
}
