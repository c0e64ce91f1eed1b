package knative_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/adapters/knative"
	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/handler"
)

// A handler's reply goes back in the response, with the K_CE_OVERRIDES
// extensions applied.
func ExampleNew() {
	h := handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		inv, _ := handler.InvocationFrom(ctx)
		r := event.New()
		r.SetID("thumb-" + e.ID())
		r.SetSource("/thumbnailer")
		r.SetType("com.example.thumbnail.created")
		_ = r.SetData("text/plain", "made on "+inv.Platform)
		return &r, nil
	})
	o, _ := events.ParseOverrides(`{"extensions":{"cluster":"eu-1"}}`)
	srv := knative.New(h, knative.WithOverrides(o))

	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"name":"cat.png"}`))
	req.Header.Set("Ce-Specversion", "1.0")
	req.Header.Set("Ce-Id", "42")
	req.Header.Set("Ce-Source", "/uploads")
	req.Header.Set("Ce-Type", "com.example.upload")
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)

	fmt.Println(rec.Code, rec.Header().Get("Ce-Type"), rec.Header().Get("Ce-Cluster"))
	fmt.Println(rec.Body.String())
	// Output:
	// 200 com.example.thumbnail.created eu-1
	// made on knative
}
