package uploads

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/handler/handlertest"
)

func upload(t *testing.T, obj map[string]any) event.Event {
	t.Helper()
	return handlertest.NewEvent(
		handlertest.WithID("up-1"),
		handlertest.WithSource("//storage.googleapis.com/projects/_/buckets/uploads"),
		handlertest.WithType(events.TypeStorageObjectFinalized),
		handlertest.WithSubject("objects/"+obj["name"].(string)),
		handlertest.WithJSON(obj))
}

func TestAcceptsImages(t *testing.T) {
	pub := events.NewMemory()
	res := handlertest.Invoke(context.Background(), NewHandler(pub),
		upload(t, map[string]any{"bucket": "uploads", "name": "cat.png", "contentType": "image/png", "size": "2048"}))
	if res.Err != nil || res.Reply != nil {
		t.Fatalf("Invoke: %v, reply %v", res.Err, res.Reply)
	}
	e := pub.AssertPublished(t, TypeAccepted)
	var up Upload
	if err := json.Unmarshal(e.Data(), &up); err != nil {
		t.Fatal(err)
	}
	if up != (Upload{Bucket: "uploads", Name: "cat.png", ContentType: "image/png", Size: 2048}) {
		t.Fatalf("published %+v", up)
	}
	if e.ID() != "up-1/"+TypeAccepted || e.Source() != Source || e.Subject() != "objects/cat.png" {
		t.Fatalf("follow-up %s", e)
	}
}

func TestRejectsOtherTypes(t *testing.T) {
	pub := events.NewMemory()
	res := handlertest.Invoke(context.Background(), NewHandler(pub),
		upload(t, map[string]any{"bucket": "uploads", "name": "x.exe", "contentType": "application/x-msdownload", "size": 10}))
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	pub.AssertTypes(t, TypeRejected)
	if !strings.Contains(string(pub.Events()[0].Data()), "is not an image") {
		t.Fatalf("rejection %s", pub.Events()[0].Data())
	}
}

func TestFailures(t *testing.T) {
	cases := []struct {
		name  string
		e     event.Event
		class handler.Class
	}{
		{"too large", upload(t, map[string]any{"bucket": "b", "name": "big.png", "contentType": "image/png", "size": "999999999"}), handler.ClassPermanent},
		{"no bucket", upload(t, map[string]any{"name": "a.png", "contentType": "image/png"}), handler.ClassInvalidInput},
		{"not an object", handlertest.NewEvent(handlertest.WithType(events.TypeStorageObjectFinalized), handlertest.WithData("application/json", []byte(`[1]`))), handler.ClassInvalidInput},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pub := events.NewMemory()
			res := handlertest.Invoke(context.Background(), NewHandler(pub), c.e)
			if res.Class() != c.class {
				t.Fatalf("class %v (%v), want %v", res.Class(), res.Err, c.class)
			}
			pub.AssertNone(t)
		})
	}
	pub := events.NewMemory()
	res := handlertest.Invoke(context.Background(), NewHandler(pub), handlertest.NewEvent(handlertest.WithType(events.TypeStorageObjectDeleted)))
	if res.Err != nil {
		t.Fatalf("a delete event: %v, want it ignored", res.Err)
	}
	pub.AssertNone(t)
}

func TestPublishFailureIsRetried(t *testing.T) {
	pub := events.NewMemory()
	pub.FailWith(func(event.Event) error { return errors.New("sink down") })
	res := handlertest.Invoke(context.Background(), NewHandler(pub),
		upload(t, map[string]any{"bucket": "b", "name": "a.png", "contentType": "image/png"}))
	if res.Class() != handler.ClassRetryable || !strings.Contains(res.Err.Error(), "sink down") {
		t.Fatalf("publish failure: %v (%v), want retryable", res.Err, res.Class())
	}
}
