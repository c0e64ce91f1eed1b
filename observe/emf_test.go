package observe

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
	"go.opentelemetry.io/otel/attribute"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/handler/handlertest"
	"github.com/fnkit/fnkit/middleware"
)

func TestEMF(t *testing.T) {
	var out strings.Builder
	tel, err := FromEnv(context.Background(), WithoutGlobals(), WithEMF(&out, "shop"), WithResourceAttributes(attribute.String("service.name", "orders")),
		env(map[string]string{}))
	if err != nil {
		t.Fatal(err)
	}
	h := handler.Chain(tel.FlushMiddleware(), middleware.Metrics(tel.Options()...))(handler.Func(
		func(ctx context.Context, e event.Event) (*event.Event, error) {
			if e.Subject() == "bad" {
				return nil, handler.Permanent(errors.New("no"))
			}
			return nil, nil
		}))
	ctx := handler.WithInvocation(context.Background(), &handler.Invocation{Platform: handler.PlatformAWSLambda})
	_, _ = h.Handle(ctx, handlertest.NewEvent())
	_, _ = h.Handle(ctx, handlertest.NewEvent())
	first := out.String()
	_, _ = h.Handle(ctx, handlertest.NewEvent(handlertest.WithSubject("bad")))
	_ = tel.Shutdown(context.Background())

	if first == "" {
		t.Fatal("nothing written at flush")
	}
	type cw struct {
		Namespace  string              `json:"Namespace"`
		Dimensions [][]string          `json:"Dimensions"`
		Metrics    []map[string]string `json:"Metrics"`
	}
	totals := map[string]float64{}
	units := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		var aws struct {
			Timestamp         int64 `json:"Timestamp"`
			CloudWatchMetrics []cw  `json:"CloudWatchMetrics"`
		}
		raw, _ := json.Marshal(m["_aws"])
		if err := json.Unmarshal(raw, &aws); err != nil || aws.Timestamp == 0 || len(aws.CloudWatchMetrics) != 1 {
			t.Fatalf("_aws %s", raw)
		}
		d := aws.CloudWatchMetrics[0]
		if d.Namespace != "shop" || len(d.Dimensions) != 1 || d.Dimensions[0][0] != "service.name" || m["service.name"] != "orders" {
			t.Fatalf("directive %+v in %s", d, line)
		}
		for _, dim := range d.Dimensions[0] {
			if _, ok := m[dim].(string); !ok {
				t.Fatalf("dimension %s has no string value in %s", dim, line)
			}
		}
		for _, met := range d.Metrics {
			name := met["Name"]
			units[name] = met["Unit"]
			switch v := m[name].(type) {
			case float64:
				if name == "faas.invocations" && m["error.type"] == "permanent" {
					totals["permanent"] += v
				}
				if name == "faas.invocations" {
					totals[name] += v
				}
			case map[string]any:
				counts := v["Counts"].([]any)
				vals := v["Values"].([]any)
				if len(counts) != len(vals) || len(counts) == 0 {
					t.Fatalf("histogram %v", v)
				}
				for _, c := range counts {
					totals[name] += c.(float64)
				}
			default:
				t.Fatalf("metric %s value %T in %s", name, m[name], line)
			}
		}
	}
	// Deltas add up to the totals across flushes.
	if totals["faas.invocations"] != 3 || totals["permanent"] != 1 || totals["faas.invoke_duration"] != 3 {
		t.Fatalf("totals %v\n%s", totals, out.String())
	}
	if units["faas.invoke_duration"] != "Seconds" || units["faas.invocations"] != "Count" {
		t.Fatalf("units %v", units)
	}
}

func TestCWUnit(t *testing.T) {
	for in, want := range map[string]string{"s": "Seconds", "ms": "Milliseconds", "By": "Bytes", "{request}": "Count", "1": "Count", "m/s": "None"} {
		if got := cwUnit(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}
