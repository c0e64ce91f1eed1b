// Command hello is the smallest complete fnkit function: a typed handler
// with a validated input, served over HTTP on $PORT (default 8080).
//
//	go run ./examples/hello
//
//	curl -i localhost:8080 -H 'Content-Type: application/json' -d '{"name":"Ada"}'
//
// The same Greet runs unchanged on AWS Lambda, Cloud Functions or Knative
// by choosing another adapter in main.
package main

import (
	"context"

	"github.com/fnkit/fnkit/handler"
)

// Request is the data of a greeting request.
type Request struct {
	Name     string `json:"name" validate:"required,max=64"`
	Language string `json:"language,omitempty" validate:"omitempty,oneof=en fr es"`
}

// Response is the data of the reply.
type Response struct {
	Greeting string `json:"greeting"`
}

// ReplyType is the CloudEvents type of replies.
const ReplyType = "com.example.hello.greeting"

// Greet is the business logic: no HTTP, no CloudEvents, no platform.
func Greet(ctx context.Context, req Request) (Response, error) {
	switch req.Language {
	case "fr":
		return Response{Greeting: "Bonjour, " + req.Name + " !"}, nil
	case "es":
		return Response{Greeting: "¡Hola, " + req.Name + "!"}, nil
	}
	return Response{Greeting: "Hello, " + req.Name + "!"}, nil
}

// NewHandler returns Greet as a Handler.
func NewHandler() handler.Handler {
	return handler.Typed(Greet, handler.WithReplyType(ReplyType))
}
