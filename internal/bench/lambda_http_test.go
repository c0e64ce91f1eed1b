package bench

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/fnkit/fnkit/adapters/awslambda"
)

// The same HTTP API (payload format 2.0) request — a real-shaped POST of
// the Order JSON with a JWT authorizer, cookies and a query string —
// served by the same net/http ServeMux, once through fnkit's
// awslambda.NewHTTP and once through awslabs/aws-lambda-go-api-proxy's
// httpadapter.NewV2 (the payload decoded into events.APIGatewayV2HTTPRequest
// and the events.APIGatewayV2HTTPResponse encoded, as Lambda's runtime
// does for it). Each is measured called directly and through
// aws-lambda-go's lambda.NewHandler(...).Invoke, the runtime's own path.

// apigwV2Order is the benchmark payload, as an HTTP API sends it.
var apigwV2Order = []byte(`{"version":"2.0","routeKey":"POST /orders/{id}","rawPath":"/orders/ord-20261124-000042",` +
	`"rawQueryString":"dryRun=false&source=web","cookies":["session=9f2c41d0a7b3","theme=dark"],` +
	`"headers":{"accept":"application/json","accept-encoding":"gzip, deflate, br","authorization":"Bearer eyJhbGciOiJIUzI1NiJ9.e30.ZRrHA1JJJW8opsbCGfG_HACGpVUMN_a9IV7pAx_Zmeo",` +
	`"content-length":"` + strconv.Itoa(len(OrderJSON)) + `","content-type":"application/json","host":"api.example.com","user-agent":"Mozilla/5.0 (X11; Linux x86_64)",` +
	`"x-amzn-trace-id":"Root=1-5e723db7-2eexmpl4fc6b31c2a6c5b0f9","x-forwarded-for":"198.51.100.23","x-forwarded-port":"443","x-forwarded-proto":"https"},` +
	`"queryStringParameters":{"dryRun":"false","source":"web"},"pathParameters":{"id":"ord-20261124-000042"},` +
	`"requestContext":{"accountId":"123456789012","apiId":"r3pmxmplak","authorizer":{"jwt":{"claims":{"sub":"user-7","iss":"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_xmpl"},"scopes":["orders/write"]}},` +
	`"domainName":"api.example.com","domainPrefix":"api","http":{"method":"POST","path":"/orders/ord-20261124-000042","protocol":"HTTP/1.1","sourceIp":"198.51.100.23","userAgent":"Mozilla/5.0 (X11; Linux x86_64)"},` +
	`"requestId":"JKJaXmPLvHcESHA=","routeKey":"POST /orders/{id}","stage":"$default","time":"24/Nov/2026:05:16:23 +0000","timeEpoch":1795497383220},` +
	`"body":` + strconv.Quote(string(OrderJSON)) + `,"isBase64Encoded":false}`)

// orderAPI is the http.Handler both adapters serve: decode the Order,
// process it, answer 201 with the Receipt, a Location and a cookie.
func orderAPI() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		var o Order
		if err := json.NewDecoder(r.Body).Decode(&o); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if o.OrderID != r.PathValue("id") {
			http.Error(w, "order id differs from the path", http.StatusBadRequest)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Location", "/orders/"+o.OrderID)
		h.Add("Set-Cookie", "last-order="+o.OrderID+"; Path=/; HttpOnly")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(Process(o))
	})
	return mux
}

// proxyInvoke is the api-proxy path as a payload-in, payload-out call.
func proxyInvoke(a *httpadapter.HandlerAdapterV2) func(ctx context.Context, payload []byte) ([]byte, error) {
	return func(ctx context.Context, payload []byte) ([]byte, error) {
		var req events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(payload, &req); err != nil {
			return nil, err
		}
		resp, err := a.ProxyWithContext(ctx, req)
		if err != nil {
			return nil, err
		}
		return json.Marshal(resp)
	}
}

// okAPI is the smallest handler: it answers a fixed JSON body, so the
// adapters' own cost shows.
func okAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
}

// invoker is one path from payload to response payload.
type invoker struct {
	name   string
	invoke func(ctx context.Context, payload []byte) ([]byte, error)
}

// invokers lists the paths compared, serving handlers made by newAPI.
func invokers(newAPI func() http.Handler) []invoker {
	proxy := httpadapter.NewV2(newAPI())
	return []invoker{
		{"fnkit", awslambda.NewHTTP(newAPI()).Invoke},
		{"apiproxy", proxyInvoke(proxy)},
		{"fnkit-lambda.NewHandler", lambda.NewHandler(awslambda.NewHTTP(newAPI())).Invoke},
		{"apiproxy-lambda.NewHandler", lambda.NewHandler(proxy.ProxyWithContext).Invoke},
	}
}

// TestLambdaHTTPPathsAgree checks that every benchmarked path gives the
// same answer, so the benchmark compares like with like.
func TestLambdaHTTPPathsAgree(t *testing.T) {
	for _, p := range invokers(orderAPI) {
		out, err := p.invoke(context.Background(), apigwV2Order)
		if err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		var resp events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatalf("%s: %s: %v", p.name, out, err)
		}
		body := resp.Body
		if resp.IsBase64Encoded {
			b, _ := base64.StdEncoding.DecodeString(body)
			body = string(b)
		}
		if resp.StatusCode != http.StatusCreated || body != WantReply+"\n" {
			t.Errorf("%s: status %d, body %q", p.name, resp.StatusCode, body)
		}
		if len(resp.Cookies) != 1 || resp.Cookies[0] != "last-order=ord-20261124-000042; Path=/; HttpOnly" {
			t.Errorf("%s: cookies %q", p.name, resp.Cookies)
		}
		if resp.Headers["Location"] != "/orders/ord-20261124-000042" || resp.Headers["Content-Type"] != "application/json" {
			t.Errorf("%s: headers %v", p.name, resp.Headers)
		}
	}
}

// TestLambdaHTTPPathsAgreeOK checks the smallest handler's paths alike.
func TestLambdaHTTPPathsAgreeOK(t *testing.T) {
	for _, p := range invokers(okAPI) {
		out, err := p.invoke(context.Background(), apigwV2Order)
		if err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		var resp events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatalf("%s: %s: %v", p.name, out, err)
		}
		if resp.StatusCode != http.StatusOK || resp.Body != `{"ok":true}` || resp.IsBase64Encoded || resp.Headers["Content-Type"] != "application/json" {
			t.Errorf("%s: %s", p.name, out)
		}
	}
}

// BenchmarkLambdaHTTP serves apigwV2Order through each path, to the
// order API and to the smallest handler.
func BenchmarkLambdaHTTP(b *testing.B) {
	for _, api := range []struct {
		name   string
		newAPI func() http.Handler
	}{{"orders", orderAPI}, {"ok", okAPI}} {
		for _, p := range invokers(api.newAPI) {
			b.Run(api.name+"/"+p.name, func(b *testing.B) {
				ctx := context.Background()
				b.ReportAllocs()
				for b.Loop() {
					if _, err := p.invoke(ctx, apigwV2Order); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
