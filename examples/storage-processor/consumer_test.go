package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fnkit/fnkit/examples/storage-processor/uploads"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/fnkit/fnkit/adapters/cloudfunctions"
	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/adapters/knative"
	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/handler/handlertest"
)

var quiet = slog.New(slog.DiscardHandler)

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
		e := pub.AssertPublished(t, uploads.TypeAccepted)
		if e.ID() != ev.ID()+"/"+uploads.TypeAccepted || e.Subject() != "objects/folder/Test.cs" {
			t.Fatalf("follow-up %s", e)
		}
	}
	t.Run("httpserver", func(t *testing.T) {
		pub := events.NewMemory()
		srv := httptest.NewServer(httpserver.New(uploads.NewHandler(pub), httpserver.WithLogger(quiet)))
		defer srv.Close()
		if code := post(t, srv.URL); code != 204 {
			t.Fatalf("status %d", code)
		}
		check(t, pub)
	})
	t.Run("knative", func(t *testing.T) {
		pub := events.NewMemory()
		srv := httptest.NewServer(knative.New(uploads.NewHandler(pub), knative.WithHTTPOptions(httpserver.WithLogger(quiet))))
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
		fn := cloudfunctions.CloudEventFunc(uploads.NewHandler(pub), cloudfunctions.WithDeadLetter(pub), cloudfunctions.WithLogger(quiet))
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
