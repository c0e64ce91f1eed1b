package awslambda

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/handler"
)

// serveFunc is the shape of serveAPIGatewayV1, serveAPIGatewayV2 and serveALB.
type serveFunc func(ctx context.Context, h http.Handler, payload []byte) ([]byte, error)

// formats names each serve function, for tables.
var formats = []struct {
	name  string
	serve serveFunc
}{{"v1", serveAPIGatewayV1}, {"v2", serveAPIGatewayV2}, {"alb", serveALB}}

func loadPayload(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "http", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// seen is what a handler saw of its request.
type seen struct {
	method, path, escapedPath, rawQuery, requestURI string
	host, remoteAddr, proto                         string
	header                                          http.Header
	body                                            []byte
	contentLength                                   int64
	noBody                                          bool
	ctx                                             context.Context
	r                                               *http.Request
}

// recorder returns a handler that records its request into s and answers
// with respond (nil: writes nothing).
func recorder(t testing.TB, s *seen, respond http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading the body: %v", err)
		}
		*s = seen{
			method: r.Method, path: r.URL.Path, escapedPath: r.URL.EscapedPath(), rawQuery: r.URL.RawQuery,
			requestURI: r.RequestURI, host: r.Host, remoteAddr: r.RemoteAddr, proto: r.Proto,
			header: r.Header.Clone(), body: body, contentLength: r.ContentLength, noBody: r.Body == http.NoBody,
			ctx: r.Context(), r: r,
		}
		if respond != nil {
			respond(w, r)
		}
	})
}

func check[T comparable](t testing.TB, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

func checkSlice(t testing.TB, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

func cookie(t testing.TB, r *http.Request, name string) string {
	t.Helper()
	c, err := r.Cookie(name)
	if err != nil {
		t.Errorf("cookie %s: %v", name, err)
		return ""
	}
	return c.Value
}

func TestAPIGatewayV1Request(t *testing.T) {
	var s seen
	out, err := serveAPIGatewayV1(context.Background(), recorder(t, &s, nil), loadPayload(t, "apigw-v1-rest.json"))
	if err != nil {
		t.Fatal(err)
	}
	check(t, "method", s.method, "POST")
	check(t, "path", s.path, "/orders/a/b 42")
	check(t, "escaped path", s.escapedPath, "/orders/a%2Fb%2042")
	check(t, "raw query", s.rawQuery, "q=a+b%26c%3Dd&tag=red&tag=blue")
	check(t, "request URI", s.requestURI, "/orders/a%2Fb%2042?q=a+b%26c%3Dd&tag=red&tag=blue")
	q := s.r.URL.Query()
	checkSlice(t, "query tag", q["tag"], []string{"red", "blue"})
	checkSlice(t, "query q", q["q"], []string{"a b&c=d"})
	check(t, "host", s.host, "r3pmxmplak.execute-api.eu-west-1.amazonaws.com")
	check(t, "remote addr", s.remoteAddr, "203.0.113.7:0")
	check(t, "proto", s.proto, "HTTP/1.1")
	checkSlice(t, "X-Custom (multi-value)", s.header["X-Custom"], []string{"first", "second"})
	checkSlice(t, "Accept-Encoding", s.header["Accept-Encoding"], []string{"gzip, deflate, br"})
	checkSlice(t, "CloudFront-Viewer-Country", s.header["Cloudfront-Viewer-Country"], []string{"DE"})
	check(t, "Content-Type", s.header.Get("Content-Type"), "application/json")
	check(t, "Content-Length", s.header.Get("Content-Length"), "23")
	check(t, "Host header removed", len(s.header["Host"]), 0)
	check(t, "cookie session", cookie(t, s.r, "session"), "abc123")
	check(t, "cookie theme", cookie(t, s.r, "theme"), "dark")
	check(t, "body", string(s.body), `{"item":"book","qty":2}`)
	check(t, "content length", s.contentLength, int64(23))
	check(t, "path value id", s.r.PathValue("id"), "a/b 42")
	p, ok := APIGatewayV1Request(s.ctx)
	if !ok {
		t.Fatal("APIGatewayV1Request: not in the context")
	}
	check(t, "stage", p.RequestContext.Stage, "prod")
	check(t, "stage variable", p.StageVariables["table"], "orders-prod")
	check(t, "resource", p.Resource, "/orders/{id}")
	check(t, "authorizer principal", p.RequestContext.Authorizer["principalId"], any("user-7"))
	if _, ok := APIGatewayV2Request(s.ctx); ok {
		t.Error("APIGatewayV2Request found in a v1 request's context")
	}
	var resp events.APIGatewayProxyResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("response %s: %v", out, err)
	}
	check(t, "status of a handler that writes nothing", resp.StatusCode, 200)
	check(t, "body of a handler that writes nothing", resp.Body, "")
	check(t, "base64", resp.IsBase64Encoded, false)
}

func TestAPIGatewayV2Request(t *testing.T) {
	var s seen
	_, err := serveAPIGatewayV2(context.Background(), recorder(t, &s, nil), loadPayload(t, "apigw-v2-http.json"))
	if err != nil {
		t.Fatal(err)
	}
	check(t, "method", s.method, "PUT")
	check(t, "path (decoded by HTTP APIs)", s.path, "/prod/items/café 1")
	check(t, "escaped path", s.escapedPath, "/prod/items/caf%C3%A9%201")
	check(t, "raw query", s.rawQuery, "color=red&color=blue&q=a%20b%26c")
	q := s.r.URL.Query()
	checkSlice(t, "query color", q["color"], []string{"red", "blue"})
	checkSlice(t, "query q", q["q"], []string{"a b&c"})
	check(t, "host", s.host, "api.example.com")
	check(t, "remote addr", s.remoteAddr, "198.51.100.23:0")
	checkSlice(t, "X-Multi (joined by the platform)", s.header["X-Multi"], []string{"one,two"})
	checkSlice(t, "Cookie", s.header["Cookie"], []string{"session=abc123; theme=dark"})
	check(t, "cookie session", cookie(t, s.r, "session"), "abc123")
	check(t, "cookie theme", cookie(t, s.r, "theme"), "dark")
	check(t, "Authorization", s.header.Get("Authorization"), "Bearer eyJhbGciOiJIUzI1NiJ9.e30.ZRrHA1JJJW8opsbCGfG_HACGpVUMN_a9IV7pAx_Zmeo")
	check(t, "body (base64-decoded)", string(s.body), "\x00\x01\x02\xff\x00\x01\xff")
	check(t, "content length", s.contentLength, int64(7))
	check(t, "Content-Length", s.header.Get("Content-Length"), "7")
	check(t, "path value id", s.r.PathValue("id"), "café 1")
	p, ok := APIGatewayV2Request(s.ctx)
	if !ok {
		t.Fatal("APIGatewayV2Request: not in the context")
	}
	check(t, "route key", p.RouteKey, "PUT /items/{id}")
	check(t, "stage", p.RequestContext.Stage, "prod")
	check(t, "JWT sub", p.RequestContext.Authorizer.JWT.Claims["sub"], "user-7")
	check(t, "stage variable", p.StageVariables["table"], "items-prod")
}

func TestFunctionURLRequest(t *testing.T) {
	var s seen
	_, err := serveAPIGatewayV2(context.Background(), recorder(t, &s, nil), loadPayload(t, "function-url.json"))
	if err != nil {
		t.Fatal(err)
	}
	check(t, "method", s.method, "POST")
	check(t, "path", s.path, "/webhook/a/b")
	check(t, "escaped path (Function URLs keep the encoding)", s.escapedPath, "/webhook/a%2Fb")
	check(t, "raw query", s.rawQuery, "token=t%2B1")
	check(t, "query token", s.r.URL.Query().Get("token"), "t+1")
	check(t, "host", s.host, "abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws")
	check(t, "remote addr (IPv6)", s.remoteAddr, "[2001:db8::7]:0")
	check(t, "cookie visitor", cookie(t, s.r, "visitor"), "9f2c")
	check(t, "TLS version header", s.header.Get("X-Amzn-Tls-Version"), "TLSv1.2")
	check(t, "body", string(s.body), `{"action":"push"}`)
	check(t, "content length", s.contentLength, int64(17))
	check(t, "Content-Length corrected to the body", s.header.Get("Content-Length"), "17")
	p, ok := APIGatewayV2Request(s.ctx)
	if !ok {
		t.Fatal("APIGatewayV2Request: not in the context")
	}
	check(t, "domain", p.RequestContext.DomainName, "abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws")
}

func TestALBRequest(t *testing.T) {
	t.Run("single-value", func(t *testing.T) {
		var s seen
		_, err := serveALB(context.Background(), recorder(t, &s, nil), loadPayload(t, "alb-single.json"))
		if err != nil {
			t.Fatal(err)
		}
		check(t, "method", s.method, "GET")
		check(t, "path", s.path, "/lambda/café")
		check(t, "escaped path", s.escapedPath, "/lambda/caf%C3%A9")
		check(t, "raw query (as sent)", s.rawQuery, "name=J%C3%BCrgen+M&query=1234ABCD")
		check(t, "query name", s.r.URL.Query().Get("name"), "Jürgen M")
		check(t, "host", s.host, "lambda-alb-123578498.eu-west-1.elb.amazonaws.com")
		check(t, "remote addr (last X-Forwarded-For)", s.remoteAddr, "72.12.164.125:0")
		check(t, "cookie session", cookie(t, s.r, "session"), "abc123")
		check(t, "no body", s.noBody, true)
		check(t, "content length", s.contentLength, int64(0))
		check(t, "no Content-Length header", len(s.header["Content-Length"]), 0)
		p, ok := ALBRequest(s.ctx)
		if !ok {
			t.Fatal("ALBRequest: not in the context")
		}
		check(t, "target group", p.RequestContext.ELB.TargetGroupArn,
			"arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/lambda-279XGJDqGZ5rsrHC2Fjr/49e9d65c45c6791a")
	})
	t.Run("multi-value", func(t *testing.T) {
		var s seen
		_, err := serveALB(context.Background(), recorder(t, &s, nil), loadPayload(t, "alb-multi.json"))
		if err != nil {
			t.Fatal(err)
		}
		check(t, "method", s.method, "POST")
		check(t, "raw query (as sent)", s.rawQuery, "mode=fast&tag=a%20b&tag=c")
		checkSlice(t, "query tag", s.r.URL.Query()["tag"], []string{"a b", "c"})
		checkSlice(t, "X-Multi", s.header["X-Multi"], []string{"one", "two"})
		check(t, "remote addr", s.remoteAddr, "72.12.164.125:0")
		check(t, "body (base64-decoded)", string(s.body), "name=J%C3%BCrgen&x=1")
		check(t, "Content-Length", s.header.Get("Content-Length"), "20")
		form, err := parseForm(s)
		if err != nil {
			t.Fatal(err)
		}
		check(t, "form name", form.Get("name"), "Jürgen")
	})
}

// parseForm parses the recorded body as the handler's r.ParseForm would.
func parseForm(s seen) (interface{ Get(string) string }, error) {
	r, err := http.NewRequest(s.method, "/", bytes.NewReader(s.body))
	if err != nil {
		return nil, err
	}
	r.Header = s.header
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	return r.PostForm, nil
}

// response is any of the three response types, decoded generously.
type response struct {
	StatusCode        int                 `json:"statusCode"`
	StatusDescription string              `json:"statusDescription"`
	Headers           map[string]string   `json:"headers"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
	Cookies           []string            `json:"cookies"`
	Body              string              `json:"body"`
	IsBase64Encoded   bool                `json:"isBase64Encoded"`
}

func decodeResponse(t testing.TB, out []byte) response {
	t.Helper()
	var r response
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("response %s: %v", out, err)
	}
	return r
}

// body returns the response body, base64-decoded when it says so.
func (r response) body(t testing.TB) []byte {
	t.Helper()
	if !r.IsBase64Encoded {
		return []byte(r.Body)
	}
	b, err := base64.StdEncoding.DecodeString(r.Body)
	if err != nil {
		t.Fatalf("response body is not base64: %v", err)
	}
	return b
}

// fullResponse writes a 201 with single and repeated headers and cookies.
func fullResponse(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-One", "1")
	h.Add("X-Multi", "x")
	h.Add("X-Multi", "y")
	h.Set("X-Quote", "a \"quoted\"\tvalue\u2028\x01")
	h.Add("Set-Cookie", "a=1; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT")
	h.Add("Set-Cookie", "b=2; HttpOnly")
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, `{"ok":true,"text":"é\n"}`)
}

func TestResponseHeaders(t *testing.T) {
	const body = `{"ok":true,"text":"é\n"}`
	const quote = "a \"quoted\"\tvalue\u2028\x01"
	const cookieA, cookieB = "a=1; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT", "b=2; HttpOnly"
	h := http.HandlerFunc(fullResponse)
	t.Run("v1", func(t *testing.T) {
		out, err := serveAPIGatewayV1(context.Background(), h, loadPayload(t, "apigw-v1-rest.json"))
		if err != nil {
			t.Fatal(err)
		}
		r := decodeResponse(t, out)
		check(t, "status", r.StatusCode, 201)
		check(t, "Content-Type", r.Headers["Content-Type"], "application/json")
		check(t, "X-One", r.Headers["X-One"], "1")
		check(t, "X-Quote", r.Headers["X-Quote"], quote)
		checkSlice(t, "X-Multi", r.MultiValueHeaders["X-Multi"], []string{"x", "y"})
		checkSlice(t, "Set-Cookie", r.MultiValueHeaders["Set-Cookie"], []string{cookieA, cookieB})
		_, dup := r.Headers["Set-Cookie"]
		check(t, "Set-Cookie also in headers", dup, false)
		check(t, "body", r.Body, body)
		check(t, "base64", r.IsBase64Encoded, false)
		var typed events.APIGatewayProxyResponse
		if err := json.Unmarshal(out, &typed); err != nil {
			t.Errorf("not an events.APIGatewayProxyResponse: %v", err)
		}
	})
	t.Run("v2", func(t *testing.T) {
		out, err := serveAPIGatewayV2(context.Background(), h, loadPayload(t, "apigw-v2-http.json"))
		if err != nil {
			t.Fatal(err)
		}
		r := decodeResponse(t, out)
		check(t, "status", r.StatusCode, 201)
		check(t, "Content-Type", r.Headers["Content-Type"], "application/json")
		check(t, "X-Multi joined", r.Headers["X-Multi"], "x, y")
		check(t, "X-Quote", r.Headers["X-Quote"], quote)
		checkSlice(t, "cookies", r.Cookies, []string{cookieA, cookieB})
		_, dup := r.Headers["Set-Cookie"]
		check(t, "Set-Cookie also in headers", dup, false)
		check(t, "no multiValueHeaders", r.MultiValueHeaders == nil, true)
		check(t, "body", r.Body, body)
		var typed events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(out, &typed); err != nil {
			t.Errorf("not an events.APIGatewayV2HTTPResponse: %v", err)
		}
	})
	t.Run("alb multi-value", func(t *testing.T) {
		out, err := serveALB(context.Background(), h, loadPayload(t, "alb-multi.json"))
		if err != nil {
			t.Fatal(err)
		}
		r := decodeResponse(t, out)
		check(t, "status", r.StatusCode, 201)
		check(t, "status description", r.StatusDescription, "201 Created")
		check(t, "no headers", r.Headers == nil, true)
		checkSlice(t, "X-One", r.MultiValueHeaders["X-One"], []string{"1"})
		checkSlice(t, "X-Multi", r.MultiValueHeaders["X-Multi"], []string{"x", "y"})
		checkSlice(t, "Set-Cookie", r.MultiValueHeaders["Set-Cookie"], []string{cookieA, cookieB})
		check(t, "body", r.Body, body)
		var typed events.ALBTargetGroupResponse
		if err := json.Unmarshal(out, &typed); err != nil {
			t.Errorf("not an events.ALBTargetGroupResponse: %v", err)
		}
	})
	t.Run("alb single-value", func(t *testing.T) {
		out, err := serveALB(context.Background(), h, loadPayload(t, "alb-single.json"))
		if err != nil {
			t.Fatal(err)
		}
		r := decodeResponse(t, out)
		check(t, "status description", r.StatusDescription, "201 Created")
		check(t, "no multiValueHeaders", r.MultiValueHeaders == nil, true)
		check(t, "X-One", r.Headers["X-One"], "1")
		check(t, "X-Multi joined", r.Headers["X-Multi"], "x, y")
		check(t, "Set-Cookie (first only)", r.Headers["Set-Cookie"], cookieA)
	})
}

func TestResponseBody(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01")
	cases := []struct {
		name       string
		respond    http.HandlerFunc
		status     int
		wantType   string
		wantBody   []byte
		wantBase64 bool
	}{
		{"nothing written", func(http.ResponseWriter, *http.Request) {}, 200, "", nil, false},
		{"status only", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusAccepted) }, 202, "", nil, false},
		{"not found", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, 404, "text/plain; charset=utf-8", []byte("404 page not found\n"), false},
		{"service unavailable", func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "down", http.StatusServiceUnavailable)
		}, 503, "text/plain; charset=utf-8", []byte("down\n"), false},
		{"sniffed text", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("hello")) }, 200, "text/plain; charset=utf-8", []byte("hello"), false},
		{"sniffed binary", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(png) }, 200, "image/png", png, true},
		{"declared binary", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/octet-stream")
			_, _ = w.Write([]byte("plain ascii"))
		}, 200, "application/octet-stream", []byte("plain ascii"), true},
		{"text with invalid UTF-8", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=iso-8859-1")
			_, _ = w.Write([]byte("caf\xe9"))
		}, 200, "text/plain; charset=iso-8859-1", []byte("caf\xe9"), true},
		{"problem json", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusUnprocessableEntity)
			_, _ = w.Write([]byte(`{"title":"\u003c\"x\"\u003e"}`))
		}, 422, "application/problem+json", []byte(`{"title":"\u003c\"x\"\u003e"}`), false},
		{"later WriteHeader ignored", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusTeapot)
			w.WriteHeader(http.StatusOK)
		}, 418, "", nil, false},
		{"informational ignored", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(http.StatusCreated)
		}, 201, "", nil, false},
		{"204 refuses a body", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusNoContent)
			if _, err := w.Write([]byte("x")); !errors.Is(err, http.ErrBodyNotAllowed) {
				panic(fmt.Sprintf("Write after 204: %v", err))
			}
		}, 204, "", nil, false},
		{"flush then write", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			_, _ = w.Write([]byte("data: 1\n\n"))
			w.(http.Flusher).Flush()
			_, _ = io.WriteString(w, "data: 2\n\n")
		}, 200, "text/event-stream", []byte("data: 1\n\ndata: 2\n\n"), false},
	}
	for _, f := range formats {
		payload := map[string]string{"v1": "apigw-v1-rest.json", "v2": "apigw-v2-http.json", "alb": "alb-multi.json"}[f.name]
		for _, c := range cases {
			t.Run(f.name+"/"+c.name, func(t *testing.T) {
				out, err := f.serve(context.Background(), c.respond, loadPayload(t, payload))
				if err != nil {
					t.Fatal(err)
				}
				r := decodeResponse(t, out)
				check(t, "status", r.StatusCode, c.status)
				ct := r.Headers["Content-Type"]
				if f.name == "alb" {
					ct = strings.Join(r.MultiValueHeaders["Content-Type"], ",")
				}
				check(t, "Content-Type", ct, c.wantType)
				check(t, "base64", r.IsBase64Encoded, c.wantBase64)
				if got := r.body(t); !bytes.Equal(got, c.wantBody) {
					t.Errorf("body = %q, want %q", got, c.wantBody)
				}
			})
		}
	}
}

func TestHEADDiscardsBody(t *testing.T) {
	payload := []byte(`{"httpMethod":"HEAD","path":"/x","headers":{"host":"h"}}`)
	out, err := serveAPIGatewayV1(context.Background(), http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", "5")
		_, _ = w.Write([]byte("hello"))
	}), payload)
	if err != nil {
		t.Fatal(err)
	}
	r := decodeResponse(t, out)
	check(t, "status", r.StatusCode, 200)
	check(t, "body", r.Body, "")
	check(t, "Content-Length kept", r.Headers["Content-Length"], "5")
}

func TestBinaryRoundTrip(t *testing.T) {
	// The v2 sample carries an application/octet-stream body in base64;
	// echoed back, it must come out base64 and byte-identical.
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", r.Header.Get("Content-Type"))
		_, _ = io.Copy(w, r.Body)
	})
	out, err := serveAPIGatewayV2(context.Background(), echo, loadPayload(t, "apigw-v2-http.json"))
	if err != nil {
		t.Fatal(err)
	}
	r := decodeResponse(t, out)
	check(t, "base64", r.IsBase64Encoded, true)
	check(t, "body", r.Body, "AAEC/wAB/w==")
	// A text body sent in base64 (ALB sends form data so) comes back as text.
	out, err = serveALB(context.Background(), echo, loadPayload(t, "alb-multi.json"))
	if err != nil {
		t.Fatal(err)
	}
	r = decodeResponse(t, out)
	check(t, "form body base64", r.IsBase64Encoded, false)
	check(t, "form body", r.Body, "name=J%C3%BCrgen&x=1")
}

func TestIsText(t *testing.T) {
	text := []string{"text/plain", "text/html; charset=utf-8", "TEXT/CSV", "application/json", "application/json; charset=utf-8",
		"application/xml", "application/javascript", "application/x-www-form-urlencoded", "application/problem+json",
		"application/cloudevents+json", "application/cloudevents-batch+json", "image/svg+xml", "application/atom+xml", " application/JSON "}
	binary := []string{"", "application/octet-stream", "image/png", "application/pdf", "application/zip", "application/protobuf",
		"multipart/form-data; boundary=x", "application/jsonx", "json", "application/x-json-stream"}
	for _, ct := range text {
		if !isText(ct) {
			t.Errorf("isText(%q) = false, want true", ct)
		}
	}
	for _, ct := range binary {
		if isText(ct) {
			t.Errorf("isText(%q) = true, want false", ct)
		}
	}
}

func TestSetPath(t *testing.T) {
	cases := []struct{ in, path, escaped string }{
		{"/", "/", "/"},
		{"", "/", "/"},
		{"orders", "/orders", "/orders"},
		{"/a%2Fb", "/a/b", "/a%2Fb"},
		{"/caf%C3%A9", "/café", "/caf%C3%A9"},
		{"/café", "/café", "/caf%C3%A9"},                    // decoded (HTTP API)
		{"/a b?c#d", "/a b?c#d", "/a%20b%3Fc%23d"},          // decoded, with URL syntax in it
		{"/100%", "/100%", "/100%25"},                       // a bare %
		{"/100%zz", "/100%zz", "/100%25zz"},                 // not an escape
		{"/a%20b c%2F", "/a%20b c%2F", "/a%2520b%20c%252F"}, // a space: decoded
	}
	for _, c := range cases {
		r, err := http.NewRequest("GET", "/", nil)
		if err != nil {
			t.Fatal(err)
		}
		setPath(r.URL, c.in)
		if r.URL.Path != c.path || r.URL.EscapedPath() != c.escaped {
			t.Errorf("setPath(%q): Path %q, EscapedPath %q; want %q, %q", c.in, r.URL.Path, r.URL.EscapedPath(), c.path, c.escaped)
		}
	}
}

func TestAppendEscapedMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "quote\" back\\slash", "\x00\x01\x1f\x7f", "tab\tnl\ncr\r", "é ü 日本",
		"bad \xff\xfe utf8", "truncated \xe6\x97", "\u2028\u2029", "<html>&amp;", strings.Repeat("x", 100) + "\""} {
		out := appendString(nil, s)
		var got string
		if err := json.Unmarshal(out, &got); err != nil {
			t.Errorf("appendString(%q) = %s: not JSON: %v", s, out, err)
			continue
		}
		want := strings.ToValidUTF8(s, "\ufffd")
		// encoding/json replaces each invalid byte; ToValidUTF8 a run of them.
		var ref string
		b, _ := json.Marshal(s)
		_ = json.Unmarshal(b, &ref)
		if got != ref {
			t.Errorf("appendString(%q) decodes to %q, encoding/json gives %q (valid form %q)", s, got, ref, want)
		}
	}
}

func TestPanicFailsTheInvocation(t *testing.T) {
	for _, f := range formats {
		payload := map[string]string{"v1": "apigw-v1-rest.json", "v2": "apigw-v2-http.json", "alb": "alb-single.json"}[f.name]
		for _, v := range []any{"boom", http.ErrAbortHandler} {
			out, err := f.serve(context.Background(), http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				_, _ = w.Write([]byte("partial"))
				panic(v)
			}), loadPayload(t, payload))
			var p *handler.PanicError
			if !errors.As(err, &p) || out != nil {
				t.Errorf("%s: panic(%v): out %q, err %v; want a *handler.PanicError", f.name, v, out, err)
				continue
			}
			check(t, f.name+" panic value", p.Value, v)
		}
	}
	_, err := serveAPIGatewayV2(context.Background(), http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(42)
	}), loadPayload(t, "function-url.json"))
	var p *handler.PanicError
	if !errors.As(err, &p) || !strings.Contains(fmt.Sprint(p.Value), "invalid WriteHeader code 42") {
		t.Errorf("WriteHeader(42): %v, want the panic net/http gives", err)
	}
}

func TestServeMux(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"id":%q,"pattern":%q}`, r.PathValue("id"), r.Pattern)
	})
	mux.HandleFunc("PUT /prod/items/{name}", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "%s %d %s", r.PathValue("name"), len(b), r.PathValue("id"))
	})
	mux.HandleFunc("GET /lambda/{rest...}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "rest=%s name=%s", r.PathValue("rest"), r.FormValue("name"))
	})
	mux.HandleFunc("GET /items", func(w http.ResponseWriter, r *http.Request) {})
	cases := []struct {
		name          string
		serve         serveFunc
		payload       []byte
		status        int
		body, allowed string
	}{
		{"v1 pattern", serveAPIGatewayV1, loadPayload(t, "apigw-v1-rest.json"), 201, `{"id":"a/b 42","pattern":"POST /orders/{id}"}`, ""},
		// The mux's own {name} comes from the path; API Gateway's {id} stays reachable too.
		{"v2 pattern", serveAPIGatewayV2, loadPayload(t, "apigw-v2-http.json"), 200, "café 1 7 café 1", ""},
		{"alb wildcard", serveALB, loadPayload(t, "alb-single.json"), 200, "rest=café name=Jürgen M", ""},
		{"not found", serveAPIGatewayV2, []byte(`{"version":"2.0","rawPath":"/nope","requestContext":{"http":{"method":"GET"}}}`), 404, "404 page not found\n", ""},
		{"method not allowed", serveAPIGatewayV2, []byte(`{"version":"2.0","rawPath":"/items","requestContext":{"http":{"method":"DELETE"}}}`), 405,
			"Method Not Allowed\n", "GET, HEAD"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := c.serve(context.Background(), mux, c.payload)
			if err != nil {
				t.Fatal(err)
			}
			var r response
			if err := json.Unmarshal(out, &r); err != nil {
				t.Fatal(err)
			}
			check(t, "status", r.StatusCode, c.status)
			check(t, "body", string(r.body(t)), c.body)
			allow := r.Headers["Allow"]
			if r.MultiValueHeaders != nil && allow == "" {
				allow = strings.Join(r.MultiValueHeaders["Allow"], ",")
			}
			check(t, "Allow", allow, c.allowed)
		})
	}
}

// ceHandler replies to every event with an event of its own, and fails
// events of type "com.example.fail" as invalid input.
var ceHandler = handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
	if e.Type() == "com.example.fail" {
		return nil, handler.InvalidInputf("amount must be positive")
	}
	reply := event.New()
	reply.SetID("reply-" + e.ID())
	reply.SetSource("/orders")
	reply.SetType("com.example.reply")
	_ = reply.SetData("application/json", map[string]string{"got": string(e.Data()), "source": e.Source()})
	return &reply, nil
})

// httpCase is one HTTP request, sent both over loopback to httpserver and
// as an HTTP API payload through serveAPIGatewayV2.
type httpCase struct {
	name, method, path, body string
	header                   map[string]string
}

func (c httpCase) payload(t testing.TB) []byte {
	t.Helper()
	p := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "$default", RawPath: c.path, Headers: map[string]string{"host": "api.example.com"},
		Body: base64.StdEncoding.EncodeToString([]byte(c.body)), IsBase64Encoded: true,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			DomainName: "api.example.com", Stage: "$default", RequestID: "req-1",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: c.method, Path: c.path, Protocol: "HTTP/1.1", SourceIP: "198.51.100.1"},
		},
	}
	for k, v := range c.header {
		p.Headers[strings.ToLower(k)] = v
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHTTPServerThroughAPIGatewayV2(t *testing.T) {
	newAdapter := func() http.Handler {
		return httpserver.New(ceHandler, httpserver.WithIDGenerator(func() string { return "generated-1" }))
	}
	srv := httptest.NewServer(newAdapter())
	defer srv.Close()
	binary := map[string]string{"Content-Type": "application/json", "Ce-Specversion": "1.0", "Ce-Id": "e-1",
		"Ce-Source": "/checkout", "Ce-Type": "com.example.order"}
	without := func(m map[string]string, k string) map[string]string {
		c := make(map[string]string, len(m))
		for kk, v := range m {
			if kk != k {
				c[kk] = v
			}
		}
		return c
	}
	with := func(m map[string]string, k, v string) map[string]string {
		c := without(m, k)
		c[k] = v
		return c
	}
	cases := []httpCase{
		{"binary", "POST", "/", `{"amount":3}`, binary},
		{"binary missing ce-id", "POST", "/", `{"amount":3}`, without(binary, "Ce-Id")},
		{"binary invalid", "POST", "/", `{"amount":-1}`, with(binary, "Ce-Type", "com.example.fail")},
		{"structured", "POST", "/", `{"specversion":"1.0","id":"s-1","source":"/checkout","type":"com.example.order","datacontenttype":"application/json","data":{"amount":3}}`,
			map[string]string{"Content-Type": "application/cloudevents+json"}},
		{"plain JSON", "POST", "/orders", `{"amount":3}`, map[string]string{"Content-Type": "application/json"}},
		{"plain JSON with idempotency key", "POST", "/orders", `{"amount":3}`, map[string]string{"Content-Type": "application/json", "Idempotency-Key": "k-9"}},
		{"plain malformed JSON", "POST", "/orders", `{"amount":`, map[string]string{"Content-Type": "application/json"}},
		{"unsupported type", "POST", "/", `x`, map[string]string{"Content-Type": "application/x-thing"}},
		{"GET", "GET", "/", ``, nil},
	}
	compared := []string{"Content-Type", "Allow", "Ce-Id", "Ce-Source", "Ce-Type", "Ce-Specversion", "X-Content-Type-Options"}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Host = "api.example.com"
			for k, v := range c.header {
				req.Header.Set(k, v)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			wantBody, _ := io.ReadAll(resp.Body)
			resp.Body.Close()

			out, err := serveAPIGatewayV2(context.Background(), newAdapter(), c.payload(t))
			if err != nil {
				t.Fatal(err)
			}
			r := decodeResponse(t, out)
			check(t, "status", r.StatusCode, resp.StatusCode)
			for _, k := range compared {
				check(t, k, r.Headers[k], strings.Join(resp.Header.Values(k), ", "))
			}
			if got := r.body(t); !bytes.Equal(got, wantBody) {
				t.Errorf("body\n got %s\nwant %s", got, wantBody)
			}
		})
	}
	// The statuses themselves, so that both sides being wrong alike fails too.
	for _, c := range []struct {
		name   string
		status int
		ct     string
	}{{"binary", 200, "application/json"}, {"binary missing ce-id", 400, "application/problem+json"}, {"GET", 405, "application/problem+json"}} {
		for _, hc := range cases {
			if hc.name != c.name {
				continue
			}
			out, err := serveAPIGatewayV2(context.Background(), newAdapter(), hc.payload(t))
			if err != nil {
				t.Fatal(err)
			}
			r := decodeResponse(t, out)
			check(t, c.name+" status", r.StatusCode, c.status)
			check(t, c.name+" Content-Type", r.Headers["Content-Type"], c.ct)
			if c.name == "binary missing ce-id" && !strings.Contains(r.Body, "ce-id") {
				t.Errorf("problem for a missing ce-id does not name it: %s", r.Body)
			}
		}
	}
}

func TestBadInput(t *testing.T) {
	v2 := loadPayload(t, "apigw-v2-http.json")
	cases := []struct {
		name    string
		serve   serveFunc
		payload []byte
		want    []string // substrings of the error
	}{
		{"v1 truncated", serveAPIGatewayV1, loadPayload(t, "apigw-v1-rest.json")[:200], []string{"REST API (v1)", "not valid JSON"}},
		{"v2 truncated", serveAPIGatewayV2, v2[:len(v2)/2], []string{"(v2)", "not valid JSON"}},
		{"alb truncated", serveALB, loadPayload(t, "alb-single.json")[:100], []string{"ALB", "not valid JSON"}},
		{"v1 not JSON", serveAPIGatewayV1, []byte("GET / HTTP/1.1"), []string{"not valid JSON", "at byte"}},
		{"v1 method a number", serveAPIGatewayV1, []byte(`{"httpMethod":5,"path":"/"}`), []string{"httpMethod", "shape"}},
		{"v2 headers an array", serveAPIGatewayV2, []byte(`{"rawPath":"/","headers":["a"],"requestContext":{"http":{"method":"GET"}}}`), []string{"headers"}},
		{"alb multi-value header not a list", serveALB, []byte(`{"httpMethod":"GET","path":"/","multiValueHeaders":{"a":"b"}}`), []string{"multiValueHeaders"}},
		{"v2 base64 flag a string", serveAPIGatewayV2, []byte(`{"rawPath":"/","isBase64Encoded":"yes","requestContext":{"http":{"method":"GET"}}}`), []string{"isBase64Encoded"}},
		{"v1 bad base64", serveAPIGatewayV1, []byte(`{"httpMethod":"POST","path":"/","body":"not*base64","isBase64Encoded":true}`), []string{"not valid base64", "REST API"}},
		{"v2 bad base64", serveAPIGatewayV2, []byte(`{"rawPath":"/","body":"AAE","isBase64Encoded":true,"requestContext":{"http":{"method":"POST"}}}`), []string{"not valid base64"}},
		{"alb bad base64", serveALB, []byte(`{"httpMethod":"POST","path":"/","body":"=====","isBase64Encoded":true}`), []string{"not valid base64", "ALB"}},
		{"v1 no method", serveAPIGatewayV1, []byte(`{"path":"/"}`), []string{"no HTTP method"}},
		{"v2 no method", serveAPIGatewayV2, []byte(`{"rawPath":"/"}`), []string{"no HTTP method"}},
		{"alb null", serveALB, []byte(`null`), []string{"no HTTP method"}},
		{"v1 bad method", serveAPIGatewayV1, []byte(`{"httpMethod":"GE T","path":"/"}`), []string{"invalid method"}},
		{"v2 an array", serveAPIGatewayV2, []byte(`[{"rawPath":"/"}]`), []string{"shape"}},
	}
	called := false
	h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true })
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			called = false
			out, err := c.serve(context.Background(), h, c.payload)
			if err == nil {
				t.Fatalf("no error; response %s", out)
			}
			if !errors.Is(err, handler.ErrInvalidInput) {
				t.Errorf("error %v is not invalid input", err)
			}
			if called {
				t.Error("the handler was called")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestHugeBody(t *testing.T) {
	// Close to Lambda's 6 MB synchronous payload limit once base64-encoded.
	big := bytes.Repeat([]byte("0123456789abcdef\x00\xff"), 4<<20/18)
	sum := sha256.Sum256(big)
	p := events.APIGatewayV2HTTPRequest{
		RawPath: "/upload", Headers: map[string]string{"content-type": "application/octet-stream"},
		Body: base64.StdEncoding.EncodeToString(big), IsBase64Encoded: true,
		RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST"}},
	}
	payload, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	out, err := serveAPIGatewayV2(context.Background(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil || sha256.Sum256(b) != sum || r.ContentLength != int64(len(big)) {
			http.Error(w, "body changed", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(b)
	}), payload)
	if err != nil {
		t.Fatal(err)
	}
	r := decodeResponse(t, out)
	check(t, "status", r.StatusCode, 200)
	if got := r.body(t); sha256.Sum256(got) != sum {
		t.Errorf("echoed body of %d bytes differs from the %d sent", len(got), len(big))
	}
	// httpserver's body limit holds behind API Gateway too.
	limited := httpserver.New(ceHandler, httpserver.WithMaxBodyBytes(1<<20))
	p.Headers = map[string]string{"content-type": "application/json", "ce-specversion": "1.0", "ce-id": "1", "ce-source": "/s", "ce-type": "t"}
	payload, _ = json.Marshal(p)
	out, err = serveAPIGatewayV2(context.Background(), limited, payload)
	if err != nil {
		t.Fatal(err)
	}
	r = decodeResponse(t, out)
	check(t, "status over the limit", r.StatusCode, http.StatusRequestEntityTooLarge)
	check(t, "Content-Type over the limit", r.Headers["Content-Type"], "application/problem+json")
}

func TestContextIsThePayloads(t *testing.T) {
	type key struct{}
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "lambda"))
	defer cancel()
	var got any
	var done <-chan struct{}
	_, err := serveAPIGatewayV2(ctx, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		got, done = r.Context().Value(key{}), r.Context().Done()
	}), loadPayload(t, "function-url.json"))
	if err != nil {
		t.Fatal(err)
	}
	check(t, "context value", got, any("lambda"))
	check(t, "cancellation", done, ctx.Done())
}

// fuzzHandler echoes what it saw: the body with the request's content
// type, and the method, path, query and each header back as headers.
func fuzzHandler(t *testing.T, got *[]byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Fatalf("reading the body: %v", err)
		}
		if int64(len(b)) != r.ContentLength {
			t.Fatalf("ContentLength %d, body of %d bytes", r.ContentLength, len(b))
		}
		if r.Method == http.MethodHead {
			*got = nil // net/http sends no body for HEAD
		} else {
			*got = b
		}
		h := w.Header()
		for k, vs := range r.Header {
			for _, v := range vs {
				h.Add("X-Echo-"+k, v)
			}
		}
		h.Set("X-Method", r.Method)
		h.Set("X-Path", r.URL.Path)
		h.Set("Content-Type", r.Header.Get("Content-Type"))
		h.Add("Set-Cookie", r.Header.Get("Cookie"))
		_, _ = w.Write(b)
	})
}

// fuzzServe checks one payload: an invalid-input error, or a response
// that decodes and carries the request body back intact.
func fuzzServe(t *testing.T, serve serveFunc, payload []byte) {
	var got []byte
	out, err := serve(context.Background(), fuzzHandler(t, &got), payload)
	if err != nil {
		if !errors.Is(err, handler.ErrInvalidInput) {
			t.Fatalf("error %v is not invalid input", err)
		}
		return
	}
	if !json.Valid(out) {
		t.Fatalf("response is not JSON: %q", out)
	}
	r := decodeResponse(t, out)
	if r.StatusCode != 200 {
		t.Fatalf("status %d", r.StatusCode)
	}
	if body := r.body(t); !bytes.Equal(body, got) {
		t.Fatalf("response body %q, handler wrote %q", body, got)
	}
}

func FuzzServeAPIGatewayV1(f *testing.F) {
	f.Add(loadPayload(f, "apigw-v1-rest.json"))
	f.Fuzz(func(t *testing.T, payload []byte) { fuzzServe(t, serveAPIGatewayV1, payload) })
}

func FuzzServeAPIGatewayV2(f *testing.F) {
	f.Add(loadPayload(f, "apigw-v2-http.json"))
	f.Add(loadPayload(f, "function-url.json"))
	f.Fuzz(func(t *testing.T, payload []byte) { fuzzServe(t, serveAPIGatewayV2, payload) })
}

func FuzzServeALB(f *testing.F) {
	f.Add(loadPayload(f, "alb-single.json"))
	f.Add(loadPayload(f, "alb-multi.json"))
	f.Fuzz(func(t *testing.T, payload []byte) { fuzzServe(t, serveALB, payload) })
}

// decodeBoth decodes payload with a hand decoder and, if it does not give
// up, checks that encoding/json decodes the same value.
func decodeBoth[T any](t testing.TB, fast func(string, *T) bool, payload []byte) (ok bool) {
	t.Helper()
	var got, want T
	if !fast(string(payload), &got) {
		return false
	}
	if err := json.Unmarshal(payload, &want); err != nil {
		t.Fatalf("the hand decoder accepted what encoding/json refuses (%v): %q", err, payload)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("the decoders disagree on %q:\nhand %+v\njson %+v", payload, got, want)
	}
	return true
}

func TestHandDecodersMatchEncodingJSON(t *testing.T) {
	fastV1 := []string{"apigw-v1-rest.json"}
	fastV2 := []string{"apigw-v2-http.json", "function-url.json"}
	fastALB := []string{"alb-single.json", "alb-multi.json"}
	for _, n := range fastV1 {
		if !decodeBoth(t, decodeV1, loadPayload(t, n)) {
			t.Errorf("%s: the hand decoder gave up on a real payload", n)
		}
	}
	for _, n := range fastV2 {
		if !decodeBoth(t, decodeV2, loadPayload(t, n)) {
			t.Errorf("%s: the hand decoder gave up on a real payload", n)
		}
	}
	for _, n := range fastALB {
		if !decodeBoth(t, decodeALB, loadPayload(t, n)) {
			t.Errorf("%s: the hand decoder gave up on a real payload", n)
		}
	}
	// The aws-lambda-go samples, every authorizer kind included.
	dir := awsEventsTestdata(t)
	for name, fast := range map[string]func([]byte) bool{
		"apigw-request.json":                          func(b []byte) bool { return decodeBoth(t, decodeV1, b) },
		"apigw-v2-request-iam.json":                   func(b []byte) bool { return decodeBoth(t, decodeV2, b) },
		"apigw-v2-request-jwt-authorizer.json":        func(b []byte) bool { return decodeBoth(t, decodeV2, b) },
		"apigw-v2-request-lambda-authorizer.json":     func(b []byte) bool { return decodeBoth(t, decodeV2, b) },
		"apigw-v2-request-no-authorizer.json":         func(b []byte) bool { return decodeBoth(t, decodeV2, b) },
		"lambda-urls-request.json":                    func(b []byte) bool { return decodeBoth(t, decodeV2, b) },
		"alb-lambda-target-request-headers-only.json": func(b []byte) bool { return decodeBoth(t, decodeALB, b) },
		"alb-lambda-target-request-multivalue-headers.json": func(b []byte) bool {
			return decodeBoth(t, decodeALB, b)
		},
	} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !fast(b) {
			t.Errorf("%s: the hand decoder gave up on aws-lambda-go's sample", name)
		}
	}
	// Inputs where the hand decoder must give up, or agree.
	for _, s := range []string{
		`{"rawpath":"/x"}`,                     // encoding/json folds case
		`{"headers":{"a":null}}`,               // null in a map
		`{"body":"\ud800"}`,                    // a lone surrogate
		`{"body":"a\u00e9\ud83d\ude00"}`,       // escapes, a surrogate pair
		"{\"body\":\"\xff\"}",                  // invalid UTF-8
		`{"requestContext":{"timeEpoch":1.5}}`, // not an int64
		`{"requestContext":{"timeEpoch":-0}}`,  // an int64
		`{"cookies":[],"headers":{},"x":[1,{"y":[true,false,null,"z",-1.5e+3]}]}`,
		`{"headers":{"a":"1"},"headers":{"b":"2"}}`, // duplicate keys merge
		`{"version":null,"isBase64Encoded":null}`,
		`{"requestContext":{"authorizer":{"lambda":{"n":1,"s":"x"},"iam":{"userId":"u"}},"authentication":null}}`,
		`{"requestContext":{"authorizer":null}}`,
		` {"a":1} `,
		`{"a":1}x`,
		`{"a":01}`,
		`{"a":1,}`,
		`{"a" 1}`,
		`{"a":"\x"}`,
		`{"a":tru}`,
		`[]`,
	} {
		decodeBoth(t, decodeV2, []byte(s))
		decodeBoth(t, decodeV1, []byte(s))
		decodeBoth(t, decodeALB, []byte(s))
	}
	if decodeBoth(t, decodeV2, []byte(`{"rawpath":"/x"}`)) || decodeBoth(t, decodeV2, []byte(`{"headers":{"a":null}}`)) {
		t.Error("the hand decoder did not give up on a case-folded key or a null header")
	}
}

// awsEventsTestdata returns aws-lambda-go's events/testdata directory from
// the module cache.
func awsEventsTestdata(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-lambda-go").Output()
	if err != nil {
		t.Fatalf("go list -m github.com/aws/aws-lambda-go: %v", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "events", "testdata")
}

func FuzzDecodeV1(f *testing.F) {
	f.Add(loadPayload(f, "apigw-v1-rest.json"))
	f.Fuzz(func(t *testing.T, payload []byte) { decodeBoth(t, decodeV1, payload) })
}

func FuzzDecodeV2(f *testing.F) {
	f.Add(loadPayload(f, "apigw-v2-http.json"))
	f.Add(loadPayload(f, "function-url.json"))
	f.Fuzz(func(t *testing.T, payload []byte) { decodeBoth(t, decodeV2, payload) })
}

func FuzzDecodeALB(f *testing.F) {
	f.Add(loadPayload(f, "alb-single.json"))
	f.Add(loadPayload(f, "alb-multi.json"))
	f.Fuzz(func(t *testing.T, payload []byte) { decodeBoth(t, decodeALB, payload) })
}

func TestCanonicalKeysMatchTextproto(t *testing.T) {
	m := map[string]int{}
	for _, k := range []string{"", "host", "Host", "HOST", "x-forwarded-for", "X-Forwarded-For", "x-FORWARDED-for", "content-type",
		"cloudfront-is-desktop-viewer", "a", "-", "--x", "x--y", "a b", "bad\x00", "é-x", "x_y", "sec-ch-ua", "www-authenticate", "te", "x.y~z"} {
		m[k] = 0
	}
	var keys strings.Builder
	keys.Grow(keysToCanonicalize(m))
	got := map[string]string{}
	for k := range m {
		got[k] = canonicalKey(&keys, k)
	}
	for k := range m { // after all writes: earlier results must not have moved
		if got, want := got[k], textproto.CanonicalMIMEHeaderKey(k); got != want {
			t.Errorf("canonical %q = %q, textproto gives %q", k, got, want)
		}
	}
}

// Any http.Handler behind an HTTP API: the route's path parameters are
// path values, and the platform's request stays reachable.
func ExampleAPIGatewayV2Request() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		p, _ := APIGatewayV2Request(r.Context())
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":%q,"stage":%q,"tag":%q}`, r.PathValue("id"), p.RequestContext.Stage, r.URL.Query().Get("tag"))
	})
	f := NewHTTP(mux) // in main: StartHTTP(mux)
	out, err := f.Invoke(context.Background(), []byte(`{"version":"2.0","routeKey":"GET /users/{id}",
		"rawPath":"/users/42","rawQueryString":"tag=a%20b","headers":{"host":"api.example.com"},
		"requestContext":{"stage":"prod","http":{"method":"GET","path":"/users/42","sourceIp":"198.51.100.7"}},
		"isBase64Encoded":false}`))
	fmt.Println(string(out), err)
	// Output: {"statusCode":200,"headers":{"Content-Type":"application/json"},"body":"{\"id\":\"42\",\"stage\":\"prod\",\"tag\":\"a b\"}","isBase64Encoded":false} <nil>
}

func TestHandlerHeaderChangesStayInTheRequest(t *testing.T) {
	h := http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		r.Header["X-Custom"][0] = "changed"
		r.Header["X-Multi"] = append(r.Header["X-Multi"], "added")
		r.Header["Accept"][0] = "changed"
	})
	if _, err := serveAPIGatewayV1(context.Background(), recorder(t, new(seen), func(w http.ResponseWriter, r *http.Request) {
		h(w, r)
		p, _ := APIGatewayV1Request(r.Context())
		checkSlice(t, "v1 multi-value header after the handler", p.MultiValueHeaders["X-Custom"], []string{"first", "second"})
	}), loadPayload(t, "apigw-v1-rest.json")); err != nil {
		t.Fatal(err)
	}
	if _, err := serveALB(context.Background(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header["X-Multi"][0] = "changed"
		r.Header["Accept"] = append(r.Header["Accept"], "added")
		p, _ := ALBRequest(r.Context())
		checkSlice(t, "ALB multi-value header after the handler", p.MultiValueHeaders["x-multi"], []string{"one", "two"})
		checkSlice(t, "ALB accept after the handler", p.MultiValueHeaders["accept"], []string{"*/*"})
	}), loadPayload(t, "alb-multi.json")); err != nil {
		t.Fatal(err)
	}
}
