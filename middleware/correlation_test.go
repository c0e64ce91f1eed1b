package middleware

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/handler/handlertest"
)

func TestCorrelation(t *testing.T) {
	gen := func() string { return "fresh-1" }
	cases := []struct {
		name string
		ext  any
		want string
	}{
		{"from event", "order-42", "order-42"},
		{"absent", nil, "fresh-1"},
		{"newline", "a\nb", "fresh-1"},
		{"too long", strings.Repeat("x", 129), "fresh-1"},
		{"longest kept", strings.Repeat("x", 128), strings.Repeat("x", 128)},
		{"json injection", `x","admin":true`, "fresh-1"},
		{"integer extension", 42, "42"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var seen string
			h := Correlation(WithIDGenerator(gen))(handlerFunc(func(ctx context.Context) { seen = CorrelationID(ctx) }))
			var opts []handlertest.EventOption
			if c.ext != nil {
				opts = append(opts, handlertest.WithExtension(DefaultCorrelationKey, c.ext))
			}
			if _, err := invoke(context.Background(), h, newEvent(opts...)); err != nil {
				t.Fatal(err)
			}
			if seen != c.want {
				t.Fatalf("correlation id %q, want %q", seen, c.want)
			}
		})
	}
	if CorrelationID(context.Background()) != "" {
		t.Fatal("id outside Correlation")
	}
}

func TestCorrelationEverywhere(t *testing.T) {
	lg, buf := jsonLogger(slog.LevelInfo)
	rec, tp := newRecorder()
	var emitted event.Event
	original := newEvent(handlertest.WithID("reply"))
	h := handler.Chain(Correlation(WithCorrelationKey("corrid")), Logging(WithLogger(lg)), Tracing(WithTracerProvider(tp)))(
		handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
			emitted = newEvent()
			Propagate(ctx, &emitted)
			return &original, nil
		}))
	reply, err := invoke(context.Background(), h, newEvent(handlertest.WithExtension("corrid", "c-77")))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := extString(reply, "corrid"); got != "c-77" {
		t.Fatalf("reply correlation %q", got)
	}
	if _, found := original.Extensions()["corrid"]; found {
		t.Fatal("handler's reply changed in place")
	}
	if got, _ := extString(&emitted, "corrid"); got != "c-77" {
		t.Fatalf("emitted correlation %q", got)
	}
	if l := byMsg(lines(t, buf), "invocation")[0]; l["correlation_id"] != "c-77" {
		t.Fatalf("log %v", l)
	}
	if a := attrMap(rec.Ended()[0].Attributes()); a["fnkit.correlation_id"] != "c-77" {
		t.Fatalf("span %v", a)
	}
}

func TestCorrelationKeyPanics(t *testing.T) {
	for _, k := range []string{"", "Upper", "with-dash", strings.Repeat("a", 21)} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("WithCorrelationKey(%q) did not panic", k)
				}
			}()
			WithCorrelationKey(k)
		}()
	}
}
