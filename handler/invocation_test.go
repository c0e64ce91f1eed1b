package handler

import (
	"context"
	"testing"
	"time"
)

func TestInvocationRoundTrip(t *testing.T) {
	if _, ok := InvocationFrom(context.Background()); ok {
		t.Fatal("empty context has an invocation")
	}
	deadline := time.Unix(1700000000, 0)
	ctx := WithInvocation(context.Background(), &Invocation{Platform: PlatformAWSLambda, RequestID: "r", Deadline: deadline, Attempt: 3, ColdStart: true})
	inv, ok := InvocationFrom(ctx)
	if !ok || inv.Platform != PlatformAWSLambda || inv.RequestID != "r" || !inv.Deadline.Equal(deadline) || inv.Attempt != 3 || !inv.ColdStart {
		t.Fatalf("got %+v, %v", inv, ok)
	}
	if _, ok := InvocationFrom(WithInvocation(context.Background(), nil)); ok {
		t.Fatal("nil invocation reported as present")
	}
}

func TestClassifyMedia(t *testing.T) {
	tests := map[string]mediaClass{
		"":                                mediaAbsent,
		" ; charset=utf-8":                mediaAbsent,
		"application/json":                mediaJSON,
		"Application/JSON; charset=utf-8": mediaJSON,
		"text/json":                       mediaJSON,
		"application/cloudevents+json":    mediaJSON,
		"application/vnd.api+JSON":        mediaJSON,
		"+json":                           mediaOther,
		"text/plain":                      mediaText,
		"TEXT/csv;q=1":                    mediaText,
		"text/":                           mediaOther,
		"application/octet-stream":        mediaOther,
		"application/xml":                 mediaOther,
		"image/png":                       mediaOther,
	}
	for ct, want := range tests {
		if got := classifyMedia(ct); got != want {
			t.Errorf("classifyMedia(%q) = %d, want %d", ct, got, want)
		}
	}
}
