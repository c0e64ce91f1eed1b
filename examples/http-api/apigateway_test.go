package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/fnkit/fnkit/examples/http-api/orders"

	"github.com/fnkit/fnkit/adapters/awslambda"
	"github.com/fnkit/fnkit/state/memstore"
)

// apiGatewayV2 builds an HTTP API (payload format 2.0) request.
func apiGatewayV2(t testing.TB, method, path string, headers map[string]string, body string) []byte {
	t.Helper()
	if headers == nil {
		headers = map[string]string{}
	}
	headers["host"] = "abc123.execute-api.us-east-1.amazonaws.com"
	b, err := json.Marshal(map[string]any{
		"version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "", "headers": headers,
		"requestContext": map[string]any{"accountId": "123456789012", "apiId": "abc123", "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
			"requestId": "r-1", "routeKey": "$default", "stage": "$default",
			"http": map[string]any{"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7", "userAgent": "curl/8"}},
		"body": body, "isBase64Encoded": false,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type gwResponse struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
}

// TestBehindAPIGatewayV2: the orders API, unchanged, as a Lambda function
// behind an HTTP API.
func TestBehindAPIGatewayV2(t *testing.T) {
	f := awslambda.NewHTTP(newHTTPHandler(memstore.New(), slog.New(slog.NewTextHandler(io.Discard, nil))))
	call := func(method, path string, headers map[string]string, body string) gwResponse {
		t.Helper()
		out, err := f.Invoke(context.Background(), apiGatewayV2(t, method, path, headers, body))
		if err != nil {
			t.Fatal(err)
		}
		var r gwResponse
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	create := `{"customer":"ada@example.com","items":[{"sku":"tea","qty":2}]}`
	r := call("POST", "/orders", map[string]string{"content-type": "application/json", "idempotency-key": "k-1"}, create)
	if r.StatusCode != 200 || r.Headers["Ce-Type"] != orders.ReplyType {
		t.Fatalf("create = %+v", r)
	}
	var o orders.Order
	if err := json.Unmarshal([]byte(r.Body), &o); err != nil || o.ID == "" || o.Units != 2 {
		t.Fatalf("created %s (%v)", r.Body, err)
	}
	again := call("POST", "/orders", map[string]string{"content-type": "application/json", "idempotency-key": "k-1"}, create)
	if again.StatusCode != 200 || again.Body != r.Body {
		t.Errorf("retried create with the same Idempotency-Key = %+v, want the first answer", again)
	}
	got := call("GET", "/orders/"+o.ID, nil, "")
	var o2 orders.Order
	if got.StatusCode != 200 || json.Unmarshal([]byte(got.Body), &o2) != nil || o2.ID != o.ID {
		t.Errorf("get = %+v", got)
	}
	if r := call("GET", "/orders/nope", nil, ""); r.StatusCode != 404 || !strings.Contains(r.Body, "nope") {
		t.Errorf("get missing = %+v", r)
	}
	if r := call("POST", "/orders", map[string]string{"content-type": "application/json"}, `{"customer":"x","items":[]}`); r.StatusCode != 400 ||
		!strings.Contains(r.Body, `"field":"customer"`) || r.Headers["Content-Type"] != "application/problem+json" {
		t.Errorf("invalid create = %+v", r)
	}
}
