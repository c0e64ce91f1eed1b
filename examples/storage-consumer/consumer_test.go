package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/adapters/cloudfunctions"
	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/adapters/knative"
	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/handler/handlertest"
)

var quiet = slog.New(slog.DiscardHandler)

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

func legacyUpload(t *testing.T) []byte {
	b, err := os.ReadFile(filepath.Join("testdata", "legacy_storage.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The sample is text/plain; make it an image.
	return []byte(strings.Replace(string(b), `"contentType": "text/plain"`, `"contentType": "image/png"`, 1))
}

// The same handler, unchanged, behind each adapter.
func TestOnEveryAdapter(t *testing.T) {
	ev, err := events.FromBackground(legacyUpload(t))
	if err != nil {
		t.Fatal(err)
	}
	post := func(t *testing.T, url string) int {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(string(ev.Data())))
		req.Header.Set("Ce-Specversion", "1.0")
		req.Header.Set("Ce-Id", ev.ID())
		req.Header.Set("Ce-Source", ev.Source())
		req.Header.Set("Ce-Type", ev.Type())
		req.Header.Set("Ce-Subject", ev.Subject())
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	check := func(t *testing.T, pub *events.Memory) {
		e := pub.AssertPublished(t, TypeAccepted)
		if e.ID() != ev.ID()+"/"+TypeAccepted || e.Subject() != "objects/folder/Test.cs" {
			t.Fatalf("follow-up %s", e)
		}
	}
	t.Run("httpserver", func(t *testing.T) {
		pub := events.NewMemory()
		srv := httptest.NewServer(httpserver.New(NewHandler(pub), httpserver.WithLogger(quiet)))
		defer srv.Close()
		if code := post(t, srv.URL); code != 204 {
			t.Fatalf("status %d", code)
		}
		check(t, pub)
	})
	t.Run("knative", func(t *testing.T) {
		pub := events.NewMemory()
		srv := httptest.NewServer(knative.New(NewHandler(pub), knative.WithHTTPOptions(httpserver.WithLogger(quiet))))
		defer srv.Close()
		if code := post(t, srv.URL); code != 204 {
			t.Fatalf("status %d", code)
		}
		check(t, pub)
	})
	t.Run("cloudfunctions", func(t *testing.T) {
		// The framework's own server is exercised in adapters/cloudfunctions;
		// here the function it would call.
		pub := events.NewMemory()
		fn := cloudfunctions.CloudEventFunc(NewHandler(pub), cloudfunctions.WithDeadLetter(pub), cloudfunctions.WithLogger(quiet))
		if err := fn(context.Background(), cloudevents.Event(ev)); err != nil {
			t.Fatal(err)
		}
		check(t, pub)
		big := ev.Clone()
		_ = big.SetData("application/json", []byte(`{"bucket":"b","name":"huge.png","contentType":"image/png","size":"999999999"}`))
		if err := fn(context.Background(), big); err != nil {
			t.Fatalf("a permanent failure must be acknowledged: %v", err)
		}
		if d := pub.ByType(events.TypeStorageObjectFinalized); len(d) != 1 || d[0].Extensions()[events.ExtErrorClass] != "permanent" {
			t.Fatalf("dead letters %v", d)
		}
	})
}

func TestPublisherFromEnv(t *testing.T) {
	t.Setenv("K_SINK", "")
	p, err := publisher(quiet)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.(*events.HTTPPublisher); ok {
		t.Fatal("without K_SINK the publisher must log, not send")
	}
	if err := p.Publish(context.Background(), handlertest.NewEvent()); err != nil {
		t.Fatal(err)
	}
	t.Setenv("K_SINK", "http://127.0.0.1:1/")
	if p, err := publisher(quiet); err != nil || p.(*events.HTTPPublisher).Target() != "http://127.0.0.1:1/" {
		t.Fatalf("with K_SINK: %v, %v", p, err)
	}
	t.Setenv("K_SINK", "::bad")
	if _, err := publisher(quiet); err == nil {
		t.Fatal("a bad K_SINK was accepted")
	}
}
