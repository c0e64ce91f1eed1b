package awslambda

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/handler"
)

// v2Request builds an HTTP API request with the given headers and body.
func v2Request(t testing.TB, headers map[string]string, body string) []byte {
	t.Helper()
	req := map[string]any{
		"version": "2.0", "routeKey": "POST /events", "rawPath": "/events", "rawQueryString": "",
		"headers": headers, "body": body, "isBase64Encoded": false,
		"requestContext": map[string]any{"domainName": "api.example.com", "requestId": "rid",
			"http": map[string]any{"method": "POST", "path": "/events", "protocol": "HTTP/1.1", "sourceIp": "1.2.3.4"}},
	}
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type v2Response struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
}

// TestCloudEventsOverHTTPTriggers: an event handler behind API Gateway v2
// answers with adapters/httpserver's modes and status table.
func TestCloudEventsOverHTTPTriggers(t *testing.T) {
	ctx := lambdaCtx(t)
	h := handler.Typed(func(ctx context.Context, o orderIn) (orderIn, error) {
		switch o.OrderID {
		case "gone":
			return o, handler.Permanent(errors.New("cancelled"))
		case "busy":
			return o, handler.Throttled(errors.New("busy"), 0)
		case "down":
			return o, errors.New("db down")
		}
		o.Qty *= 2
		return o, nil
	}, handler.WithReplyType("order.reply"))
	f := New(h)
	binary := map[string]string{"content-type": "application/json", "ce-specversion": "1.0", "ce-id": "e1", "ce-source": "/test", "ce-type": "order"}
	cases := []struct {
		name    string
		headers map[string]string
		body    string
		status  int
		check   func(t *testing.T, r v2Response)
	}{
		{"binary", binary, `{"orderId":"o","qty":2}`, 200, func(t *testing.T, r v2Response) {
			if r.Headers["Ce-Type"] != "order.reply" || r.Body != `{"orderId":"o","qty":4}` {
				t.Errorf("binary reply = %+v", r)
			}
		}},
		{"structured", map[string]string{"content-type": "application/cloudevents+json"},
			`{"specversion":"1.0","id":"e2","source":"/t","type":"order","datacontenttype":"application/json","data":{"orderId":"o","qty":1}}`, 200,
			func(t *testing.T, r v2Response) {
				var e event.Event
				if err := json.Unmarshal([]byte(r.Body), &e); err != nil || e.Type() != "order.reply" {
					t.Errorf("structured reply = %+v (%v)", r, err)
				}
			}},
		{"plain JSON", map[string]string{"content-type": "application/json"}, `{"orderId":"o","qty":3}`, 200, func(t *testing.T, r v2Response) {
			if r.Body != `{"orderId":"o","qty":6}` {
				t.Errorf("plain reply = %+v", r)
			}
		}},
		{"batch", map[string]string{"content-type": "application/cloudevents-batch+json"},
			`[{"specversion":"1.0","id":"b1","source":"/t","type":"order","data":{"orderId":"o","qty":1}},{"specversion":"1.0","id":"b2","source":"/t","type":"order","data":{"orderId":"gone","qty":1}}]`,
			422, nil},
		{"invalid", binary, `{"orderId":"o","qty":0}`, 400, nil},
		{"permanent", binary, `{"orderId":"gone","qty":1}`, 422, nil},
		{"throttled", binary, `{"orderId":"busy","qty":1}`, 429, nil},
		{"retryable", binary, `{"orderId":"down","qty":1}`, 500, func(t *testing.T, r v2Response) {
			if strings.Contains(r.Body, "db down") || r.Headers["Content-Type"] != "application/problem+json" {
				t.Errorf("500 leaks internals or is not a problem document: %+v", r)
			}
		}},
		{"unsupported", map[string]string{"content-type": "application/cloudevents+xml"}, `<e/>`, 415, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := f.Invoke(ctx, v2Request(t, c.headers, c.body))
			if err != nil {
				t.Fatal(err)
			}
			var r v2Response
			if err := json.Unmarshal(out, &r); err != nil {
				t.Fatal(err)
			}
			if r.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", r.StatusCode, c.status, r.Body)
			}
			if c.check != nil {
				c.check(t, r)
			}
		})
	}
	// The same function serves the other HTTP triggers through the same
	// handler, and queues at the same time.
	var r v2Response
	out, err := f.Invoke(ctx, sample(t, "apigw_v1.json")) // a GET
	if err != nil || json.Unmarshal(out, &r) != nil || r.StatusCode != 405 {
		t.Errorf("v1 GET = %s, %v; want httpserver's 405", out, err)
	}
	out, err = f.Invoke(ctx, sample(t, "alb.json")) // base64 body without orderId
	if err != nil || json.Unmarshal(out, &r) != nil || r.StatusCode != 400 || !strings.Contains(r.Body, `"field":"orderId"`) {
		t.Errorf("ALB = %s, %v; want 400 naming orderId", out, err)
	}
	if _, err := New(h, WithTrigger(events.AWSAPIGatewayV2)).Invoke(ctx, sample(t, "function_url.json")); err != nil {
		t.Errorf("pinned v2 must take function URL payloads too: %v", err)
	}
}

// TestHTTPTriggerInvocation: behind an HTTP trigger, the event handler
// sees the Lambda invocation, not a plain HTTP one.
func TestHTTPTriggerInvocation(t *testing.T) {
	var inv handler.Invocation
	var info Info
	h := handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		inv, _ = handler.InvocationFrom(ctx)
		info, _ = InfoFrom(ctx)
		return nil, nil
	})
	out, err := New(h).Invoke(lambdaCtx(t), v2Request(t, map[string]string{"content-type": "application/json"}, `{"a":1}`))
	if err != nil || !strings.Contains(string(out), `"statusCode":204`) {
		t.Fatalf("Invoke = %s, %v", out, err)
	}
	if inv.Platform != handler.PlatformAWSLambda || inv.RequestID != "req-1" || !inv.Sync || inv.Deadline.IsZero() ||
		inv.Function != "arn:aws:lambda:us-east-2:123456789012:function:orders" || !strings.HasPrefix(inv.TraceHeader, "Root=1-") || len(inv.Headers["Content-Type"]) != 1 {
		t.Errorf("invocation = %+v", inv)
	}
	if info.Trigger != events.AWSAPIGatewayV2 || info.RequestID != "req-1" {
		t.Errorf("info = %+v", info)
	}
}
