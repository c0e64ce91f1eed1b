package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/adapters/azurefunctions"
	"github.com/fnkit/fnkit/handler"
)

// One Storage Queue invocation as the Functions host posts it to a custom
// handler (the order as a JSON string inside Data, metadata with the
// host's double encoding), served in-process with a reusable
// ResponseWriter: by hand with net/http (parse the envelope, decode the
// message, process, answer {"Outputs","Logs","ReturnValue"}) and by
// fnkit's azurefunctions adapter around a handler doing the same work.

var azureQueueBody = func() []byte {
	msg, _ := json.Marshal(string(OrderJSON))
	return []byte(`{"Data":{"message":` + string(msg) + `},"Metadata":{"DequeueCount":"1","ExpirationTime":"\"2026-11-25T17:58:31+00:00\"",` +
		`"Id":"\"800ae4b3-bdd2-4c08-badd-f08e5a34b865\"","InsertionTime":"\"2026-11-18T17:58:31+00:00\"","NextVisibleTime":"\"2026-11-18T18:08:32+00:00\"",` +
		`"PopReceipt":"\"AgAAAAMAAAAAAAAAAgtnj8x+1QE=\"","sys":{"MethodName":"OnOrder","UtcNow":"2026-11-18T17:58:32.2205399Z","RandGuid":"24ad4c06-24ad-4e5b-8294-3da9714877e9"}}}`)
}()

// azureBare is the floor: a custom handler written by hand.
func azureBare() http.Handler {
	type envelope struct {
		Data struct {
			Message string `json:"message"`
		} `json:"Data"`
		Metadata struct {
			ID string `json:"Id"`
		} `json:"Metadata"`
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /OnOrder", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 6<<20))
		if err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		var env envelope
		if err := json.Unmarshal(body, &env); err != nil || env.Metadata.ID == "" {
			http.Error(w, "bad payload", http.StatusBadRequest)
			return
		}
		var o Order
		if err := json.Unmarshal([]byte(env.Data.Message), &o); err != nil {
			http.Error(w, "bad order", http.StatusBadRequest)
			return
		}
		rv, _ := json.Marshal(Process(o))
		out, _ := json.Marshal(struct {
			Outputs     map[string]any  `json:"Outputs"`
			Logs        []string        `json:"Logs"`
			ReturnValue json.RawMessage `json:"ReturnValue"`
		}{map[string]any{}, []string{}, rv})
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(out)
	})
	return mux
}

func azureFnkit(h handler.Handler) http.Handler {
	return azurefunctions.New([]azurefunctions.Function{azurefunctions.StorageQueue("OnOrder", "orders", h)},
		azurefunctions.WithLogger(slog.New(slog.DiscardHandler)))
}

var azurePeers = []peer{
	{"1-bare-nethttp", func(testing.TB) http.Handler { return azureBare() }, true},
	{"2-fnkit-azurefunctions", func(testing.TB) http.Handler {
		return azureFnkit(handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
			var o Order
			if err := json.Unmarshal(e.Data(), &o); err != nil {
				return nil, handler.InvalidInput(err)
			}
			r := event.New()
			r.SetID("r-" + e.ID())
			r.SetSource("/orders")
			r.SetType("receipt")
			if err := r.SetData(event.ApplicationJSON, Process(o)); err != nil {
				return nil, err
			}
			return &r, nil
		}))
	}, true},
	{"3-fnkit-azurefunctions-typed", func(testing.TB) http.Handler {
		return azureFnkit(handler.Typed(func(ctx context.Context, o Order) (Receipt, error) { return Process(o), nil }))
	}, true},
}

func azureRequest() *http.Request {
	r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/OnOrder", nil)
	r.Header.Set("Content-Type", "application/json")
	r.ContentLength = int64(len(azureQueueBody))
	return r
}

func azureServe(h http.Handler, r *http.Request, w *sink, body *bytes.Reader) {
	body.Reset(azureQueueBody)
	r.Body = io.NopCloser(body)
	w.reset()
	h.ServeHTTP(w, r)
}

// TestAzurePeersDoTheWork checks that each peer decodes the order and
// answers the receipt as the return value.
func TestAzurePeersDoTheWork(t *testing.T) {
	for _, p := range azurePeers {
		t.Run(p.name, func(t *testing.T) {
			w := &sink{header: http.Header{}}
			azureServe(p.h(t), azureRequest(), w, bytes.NewReader(nil))
			if w.status != 0 && w.status != http.StatusOK {
				t.Fatalf("status %d: %s", w.status, w.body.String())
			}
			want := `"ReturnValue":` + WantReply
			if !strings.Contains(w.body.String(), want) {
				t.Fatalf("reply %s lacks %s", w.body.String(), want)
			}
		})
	}
}

// BenchmarkAzureQueueInvocation: fnkit's custom handler against a bare
// net/http one, in-process.
func BenchmarkAzureQueueInvocation(b *testing.B) {
	for _, p := range azurePeers {
		b.Run(p.name, func(b *testing.B) {
			h := p.h(b)
			r := azureRequest()
			w := &sink{header: http.Header{}}
			body := bytes.NewReader(nil)
			b.ReportAllocs()
			b.SetBytes(int64(len(azureQueueBody)))
			for b.Loop() {
				azureServe(h, r, w, body)
			}
		})
	}
}

// BenchmarkAzureQueueLoopback: the same invocation posted over loopback
// by a client playing the Functions host (keep-alive connections), as the
// host calls a custom handler.
func BenchmarkAzureQueueLoopback(b *testing.B) {
	for _, p := range azurePeers {
		b.Run(p.name, func(b *testing.B) {
			srv := httptest.NewServer(p.h(b))
			defer srv.Close()
			client := srv.Client()
			url := srv.URL + "/OnOrder"
			b.ReportAllocs()
			b.SetBytes(int64(len(azureQueueBody)))
			for b.Loop() {
				resp, err := client.Post(url, "application/json", bytes.NewReader(azureQueueBody))
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
		})
	}
}
