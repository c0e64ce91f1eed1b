package awslambda

// HTTP triggers: API Gateway REST APIs (payload format 1.0), HTTP APIs and
// Lambda Function URLs (payload format 2.0) and Application Load Balancer
// target groups. Each payload becomes one *http.Request served by an
// http.Handler, and what the handler writes becomes the platform's
// response object.
//
// Request (platform field → *http.Request):
//
//	                 REST API (v1)                   HTTP API / Function URL (v2)     ALB
//	Method           httpMethod                      requestContext.http.method       httpMethod
//	URL.Path         path                            rawPath (requestContext.http     path
//	                                                 .path when empty)
//	URL.RawQuery     multiValueQueryStringParameters rawQueryString                   multiValueQueryStringParameters
//	                 (else queryStringParameters),   (else queryStringParameters,     (else queryStringParameters),
//	                 decoded by the platform, so     escaped)                         as sent (ALB does not decode
//	                 escaped here, keys sorted                                        them), keys sorted
//	Header           multiValueHeaders, then the     headers (one value each, as      multiValueHeaders or headers
//	                 keys only in headers            the platform joined them) and    (whichever the target group
//	                                                 cookies joined into Cookie       sends)
//	Host             the Host header, else requestContext.domainName                  the Host header
//	RemoteAddr       requestContext.identity         requestContext.http.sourceIp     the last address of
//	                 .sourceIp, port 0               port 0                           X-Forwarded-For, port 0
//	Proto            requestContext.protocol         requestContext.http.protocol     HTTP/1.1
//	Body             body, base64-decoded when isBase64Encoded; ContentLength and the
//	                 Content-Length header are the decoded length
//	PathValue        pathParameters (r.PathValue(name); a router's own patterns win)   —
//	Context          APIGatewayV1Request(ctx)        APIGatewayV2Request(ctx)         ALBRequest(ctx)
//
// REST APIs, Function URLs and ALB pass the path as the client sent it,
// HTTP APIs decode it: a path made only of characters an escaped path can
// hold, with valid %XX escapes, is taken as escaped (URL.RawPath keeps
// the client's spelling, so %2F stays distinct from /); any other path is
// taken as decoded. A decoded path that happens to look escaped ("/100%41"
// from a client's "/100%2541") cannot be told apart and is unescaped.
//
// Response (what the handler wrote → platform response): statusCode is the
// handler's status (200 when it wrote nothing); the body is sent as text
// when its Content-Type is textual (text/*, JSON, XML, JavaScript, form
// data, +json and +xml types) and it is valid UTF-8, otherwise base64 with
// isBase64Encoded (a REST API decodes it only for the binary media types
// configured on the API). A handler that sets no Content-Type gets the
// one net/http would sniff. Headers:
//
//   - REST API: single-valued headers in headers, repeated ones (several
//     Set-Cookie) in multiValueHeaders.
//   - HTTP API / Function URL: Set-Cookie values in cookies; other repeated
//     headers joined with ", " in headers (format 2.0 has no multi-value
//     headers).
//   - ALB: multiValueHeaders when the request came with multi-value headers
//     (the target group setting), otherwise headers with repeated values
//     joined with ", " — except Set-Cookie, which cannot be joined: only
//     its first value is sent, so enable multi-value headers on the target
//     group to set several cookies. statusDescription is "200 OK" style.
//
// A payload that is not JSON of the expected shape, a body that is not
// valid base64 when isBase64Encoded says it is, or a request without a
// method is invalid input (handler.InvalidInput) naming what was wrong; a
// handler that panics (http.ErrAbortHandler included) fails the
// invocation with a *handler.PanicError, as net/http would abort the
// connection.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/fnkit/fnkit/handler"
)

// The names of the payload formats, as errors say them.
const (
	kindV1  = "API Gateway REST API (v1) request"
	kindV2  = "API Gateway HTTP API / Function URL (v2) request"
	kindALB = "ALB target group request"
)

type (
	apigwV1Key struct{}
	apigwV2Key struct{}
	albKey     struct{}
)

// APIGatewayV1Request returns the API Gateway REST API (payload format
// 1.0) request that the HTTP request being served came from: its path
// parameters, stage, stage variables, authorizer and identity. The request
// is shared by the whole invocation: read it, do not change it.
func APIGatewayV1Request(ctx context.Context) (*events.APIGatewayProxyRequest, bool) {
	r, ok := ctx.Value(apigwV1Key{}).(*events.APIGatewayProxyRequest)
	return r, ok
}

// APIGatewayV2Request returns the HTTP API or Function URL (payload format
// 2.0) request that the HTTP request being served came from: its route
// key, path parameters, stage, stage variables and authorizer. The request
// is shared by the whole invocation: read it, do not change it.
func APIGatewayV2Request(ctx context.Context) (*events.APIGatewayV2HTTPRequest, bool) {
	r, ok := ctx.Value(apigwV2Key{}).(*events.APIGatewayV2HTTPRequest)
	return r, ok
}

// ALBRequest returns the Application Load Balancer target group request
// that the HTTP request being served came from (its target group ARN). The
// request is shared by the whole invocation: read it, do not change it.
func ALBRequest(ctx context.Context) (*events.ALBTargetGroupRequest, bool) {
	r, ok := ctx.Value(albKey{}).(*events.ALBTargetGroupRequest)
	return r, ok
}

// serveAPIGatewayV1 serves an API Gateway REST API (v1 proxy) request with h.
func serveAPIGatewayV1(ctx context.Context, h http.Handler, payload []byte) ([]byte, error) {
	p := new(events.APIGatewayProxyRequest)
	if !decodeV1(string(payload), p) {
		*p = events.APIGatewayProxyRequest{}
		if err := json.Unmarshal(payload, p); err != nil {
			return nil, badPayload(kindV1, err)
		}
	}
	header := make(http.Header, len(p.MultiValueHeaders)+len(p.Headers)+1)
	addMultiHeaders(header, p.MultiValueHeaders)
	addHeaders(header, p.Headers, true)
	in := inbound{
		kind:     kindV1,
		method:   p.HTTPMethod,
		path:     p.Path,
		rawQuery: decodedQuery(p.MultiValueQueryStringParameters, p.QueryStringParameters),
		header:   header,
		host:     p.RequestContext.DomainName,
		remoteIP: p.RequestContext.Identity.SourceIP,
		proto:    p.RequestContext.Protocol,
		params:   p.PathParameters,
	}
	r, err := in.request(context.WithValue(ctx, apigwV1Key{}, p), p.Body, p.IsBase64Encoded)
	if err != nil {
		return nil, err
	}
	w, err := serve(h, r)
	if err != nil {
		return nil, err
	}
	return w.encodeV1(), nil
}

// serveAPIGatewayV2 serves an HTTP API (payload format 2.0) or Lambda Function URL request with h.
func serveAPIGatewayV2(ctx context.Context, h http.Handler, payload []byte) ([]byte, error) {
	p := new(events.APIGatewayV2HTTPRequest)
	if !decodeV2(string(payload), p) {
		*p = events.APIGatewayV2HTTPRequest{}
		if err := json.Unmarshal(payload, p); err != nil {
			return nil, badPayload(kindV2, err)
		}
	}
	header := make(http.Header, len(p.Headers)+2)
	addHeaders(header, p.Headers, false)
	if len(p.Cookies) > 0 {
		header["Cookie"] = []string{strings.Join(p.Cookies, "; ")}
	}
	path := p.RawPath
	if path == "" {
		path = p.RequestContext.HTTP.Path
	}
	rawQuery := p.RawQueryString
	if rawQuery == "" && len(p.QueryStringParameters) > 0 {
		rawQuery = decodedQuery(nil, p.QueryStringParameters)
	}
	in := inbound{
		kind:     kindV2,
		method:   p.RequestContext.HTTP.Method,
		path:     path,
		rawQuery: rawQuery,
		header:   header,
		host:     p.RequestContext.DomainName,
		remoteIP: p.RequestContext.HTTP.SourceIP,
		proto:    p.RequestContext.HTTP.Protocol,
		params:   p.PathParameters,
	}
	r, err := in.request(context.WithValue(ctx, apigwV2Key{}, p), p.Body, p.IsBase64Encoded)
	if err != nil {
		return nil, err
	}
	w, err := serve(h, r)
	if err != nil {
		return nil, err
	}
	return w.encodeV2(), nil
}

// serveALB serves an Application Load Balancer target-group request with h.
func serveALB(ctx context.Context, h http.Handler, payload []byte) ([]byte, error) {
	p := new(events.ALBTargetGroupRequest)
	if !decodeALB(string(payload), p) {
		*p = events.ALBTargetGroupRequest{}
		if err := json.Unmarshal(payload, p); err != nil {
			return nil, badPayload(kindALB, err)
		}
	}
	multi := len(p.MultiValueHeaders) > 0
	header := make(http.Header, len(p.MultiValueHeaders)+len(p.Headers)+1)
	addMultiHeaders(header, p.MultiValueHeaders)
	addHeaders(header, p.Headers, multi)
	in := inbound{
		kind:     kindALB,
		method:   p.HTTPMethod,
		path:     p.Path,
		rawQuery: rawQuery(p.MultiValueQueryStringParameters, p.QueryStringParameters),
		header:   header,
		remoteIP: lastForwardedFor(header),
	}
	r, err := in.request(context.WithValue(ctx, albKey{}, p), p.Body, p.IsBase64Encoded)
	if err != nil {
		return nil, err
	}
	w, err := serve(h, r)
	if err != nil {
		return nil, err
	}
	return w.encodeALB(multi), nil
}

// badPayload reports a payload that does not decode into the format's type.
func badPayload(kind string, err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return handler.InvalidInput(fmt.Errorf("awslambda: %s: payload is not valid JSON (at byte %d): %w", kind, syn.Offset, err))
	}
	return handler.InvalidInput(fmt.Errorf("awslambda: %s: payload does not have the shape of one: %w", kind, err))
}

// addMultiHeaders adds the platform's multi-value headers to h, their
// values copied into one array, each header's part capped so that a
// handler's append copies.
func addMultiHeaders(h http.Header, m map[string][]string) {
	if len(m) == 0 {
		return
	}
	var keys strings.Builder
	keys.Grow(keysToCanonicalize(m))
	n := 0
	for _, vs := range m {
		n += len(vs)
	}
	vals := make([]string, n)
	i := 0
	for k, vs := range m {
		if len(vs) == 0 {
			continue
		}
		ck := canonicalKey(&keys, k)
		if old, ok := h[ck]; ok {
			h[ck] = append(old, vs...)
			continue
		}
		j := i + copy(vals[i:], vs)
		h[ck] = vals[i:j:j]
		i = j
	}
}

// addHeaders adds the platform's single-value headers to h; with onlyNew,
// only those whose name h does not have yet (the multi-value headers came
// first and hold the same values). The values share one array, capped so
// that a handler's append copies.
func addHeaders(h http.Header, m map[string]string, onlyNew bool) {
	if len(m) == 0 {
		return
	}
	var keys strings.Builder
	keys.Grow(keysToCanonicalize(m))
	vals := make([]string, len(m))
	i := 0
	for k, v := range m {
		ck := canonicalKey(&keys, k)
		old, ok := h[ck]
		if ok && onlyNew {
			continue
		}
		if ok {
			h[ck] = append(old, v)
			continue
		}
		vals[i] = v
		h[ck] = vals[i : i+1 : i+1]
		i++
	}
}

// keysToCanonicalize returns the length of the keys of m that are not
// canonical: the room their canonical forms need.
func keysToCanonicalize[V any](m map[string]V) int {
	n := 0
	for k := range m {
		if !isCanonical(k) {
			n += len(k)
		}
	}
	return n
}

// canonicalKey returns textproto.CanonicalMIMEHeaderKey(k), writing a
// changed form into keys: grown beforehand to hold them all, it never
// moves, so the returned substrings of it stay valid (and no key costs an
// allocation of its own).
func canonicalKey(keys *strings.Builder, k string) string {
	if isCanonical(k) {
		return k
	}
	start := keys.Len()
	upper := true
	for i := 0; i < len(k); i++ {
		c := k[i]
		if upper && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		} else if !upper && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		keys.WriteByte(c)
		upper = c == '-'
	}
	return keys.String()[start:]
}

// isCanonical reports whether textproto.CanonicalMIMEHeaderKey would
// return k unchanged: it is canonical already, or not a valid header name
// (which textproto leaves alone).
func isCanonical(k string) bool {
	upper := true
	canonical := true
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !isTokenByte(c) {
			return true
		}
		if upper && 'a' <= c && c <= 'z' || !upper && 'A' <= c && c <= 'Z' {
			canonical = false
		}
		upper = c == '-'
	}
	return canonical
}

// isTokenByte reports whether c may appear in a header name (RFC 9110 tchar).
func isTokenByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// lastForwardedFor returns the last address of X-Forwarded-For: the client
// address as the load balancer saw it.
func lastForwardedFor(h http.Header) string {
	vs := h["X-Forwarded-For"]
	if len(vs) == 0 {
		return ""
	}
	v := vs[len(vs)-1]
	if i := strings.LastIndexByte(v, ','); i >= 0 {
		v = v[i+1:]
	}
	return strings.TrimSpace(v)
}

// decodedQuery encodes query parameters the platform decoded (API Gateway),
// preferring the multi-value ones, keys sorted.
func decodedQuery(multi map[string][]string, single map[string]string) string {
	return buildQuery(multi, single, url.QueryEscape)
}

// rawQuery joins query parameters the platform passes as sent (ALB).
func rawQuery(multi map[string][]string, single map[string]string) string {
	return buildQuery(multi, single, func(s string) string { return s })
}

func buildQuery(multi map[string][]string, single map[string]string, esc func(string) string) string {
	if len(multi) == 0 && len(single) == 0 {
		return ""
	}
	keys := make([]string, 0, len(multi)+len(single))
	for k := range multi {
		keys = append(keys, k)
	}
	for k := range single {
		if _, ok := multi[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		ek := esc(k)
		vs, ok := multi[k]
		if !ok {
			vs = []string{single[k]}
		}
		for _, v := range vs {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(ek)
			b.WriteByte('=')
			b.WriteString(esc(v))
		}
	}
	return b.String()
}

// inbound is what a payload says about the HTTP request it carries.
type inbound struct {
	kind                  string
	method, path          string
	rawQuery              string
	header                http.Header
	host, remoteIP, proto string
	params                map[string]string
}

// request builds the *http.Request, as net/http's server would have.
func (in *inbound) request(ctx context.Context, body string, base64Body bool) (*http.Request, error) {
	if in.method == "" {
		return nil, handler.InvalidInputf("awslambda: %s has no HTTP method", in.kind)
	}
	r, err := http.NewRequestWithContext(ctx, in.method, "/", nil)
	if err != nil {
		return nil, handler.InvalidInputf("awslambda: %s: %w", in.kind, err)
	}
	setPath(r.URL, in.path)
	r.URL.RawQuery = in.rawQuery
	r.RequestURI = r.URL.RequestURI()
	h := in.header
	if hs := h["Host"]; len(hs) > 0 && hs[0] != "" {
		r.Host = hs[0]
	} else {
		r.Host = in.host
	}
	delete(h, "Host")
	delete(h, "Transfer-Encoding")
	if in.remoteIP != "" {
		r.RemoteAddr = net.JoinHostPort(in.remoteIP, "0")
	}
	if in.proto != "" && in.proto != "HTTP/1.1" {
		if major, minor, ok := http.ParseHTTPVersion(in.proto); ok {
			r.Proto, r.ProtoMajor, r.ProtoMinor = in.proto, major, minor
		}
	}
	n := len(body)
	switch {
	case base64Body && n > 0:
		b := make([]byte, base64.StdEncoding.DecodedLen(n))
		m, err := base64.StdEncoding.Decode(b, []byte(body))
		if err != nil {
			return nil, handler.InvalidInputf("awslambda: %s: isBase64Encoded is true but the body is not valid base64: %w", in.kind, err)
		}
		n = m
		rb := new(bytesBody)
		rb.Reset(b[:m])
		r.Body = rb
	case n > 0:
		rb := new(stringBody)
		rb.Reset(body)
		r.Body = rb
	default:
		r.Body = http.NoBody
	}
	r.ContentLength = int64(n)
	if cl, ok := h["Content-Length"]; ok || n > 0 {
		var nb [20]byte
		if len(cl) != 1 || cl[0] != string(strconv.AppendInt(nb[:0], int64(n), 10)) {
			h["Content-Length"] = []string{strconv.Itoa(n)}
		}
	}
	r.Header = h
	for k, v := range in.params {
		r.SetPathValue(k, v)
	}
	return r, nil
}

// setPath sets u's path from a platform path that may or may not be
// escaped (REST APIs, Function URLs and ALB pass the path as the client
// sent it; HTTP APIs decode it). A path that holds only characters an
// escaped path can hold and unescapes cleanly is taken as escaped, RawPath
// keeping the client's spelling (so %2F stays distinct from /); any other
// is taken as already decoded.
func setPath(u *url.URL, p string) {
	if p == "" || p[0] != '/' {
		p = "/" + p
	}
	escaped := false
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c <= ' ' || c >= 0x7f || c == '?' || c == '#' || c == '"' || c == '<' || c == '>' || c == '\\' ||
			c == '^' || c == '`' || c == '{' || c == '|' || c == '}':
			u.Path = p
			return
		case c == '%':
			escaped = true
		}
	}
	if !escaped {
		u.Path = p
		return
	}
	dec, err := url.PathUnescape(p)
	if err != nil {
		u.Path = p
		return
	}
	u.Path = dec
	if u.EscapedPath() != p {
		u.RawPath = p
	}
}

type bytesBody struct{ bytes.Reader }

func (*bytesBody) Close() error { return nil }

type stringBody struct{ strings.Reader }

func (*stringBody) Close() error { return nil }

// serve calls h with a buffering writer, recovering a panic.
func serve(h http.Handler, r *http.Request) (w *responseBuffer, err error) {
	w = &responseBuffer{header: make(http.Header, 4), head: r.Method == http.MethodHead}
	defer func() {
		if v := recover(); v != nil {
			w, err = nil, &handler.PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	h.ServeHTTP(w, r)
	w.finish()
	return w, nil
}

// responseBuffer is the http.ResponseWriter of the HTTP triggers: it keeps
// the status, headers and body for the platform's response object. It
// also satisfies http.Flusher (the response is sent whole, after the
// handler returns, whatever the handler flushes).
type responseBuffer struct {
	header http.Header
	status int
	body   []byte
	head   bool // HEAD request: the body is discarded, as net/http does
}

// Header returns the response headers.
func (w *responseBuffer) Header() http.Header { return w.header }

// WriteHeader sets the status once, ignoring informational (1xx) codes
// and later calls, like net/http; it panics on codes net/http rejects.
func (w *responseBuffer) WriteHeader(code int) {
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if w.status != 0 || code < 200 {
		return
	}
	w.status = code
}

// Write appends p to the body, setting the status to 200 if it was not
// set. It returns http.ErrBodyNotAllowed for a status without a body.
func (w *responseBuffer) Write(p []byte) (int, error) {
	if !w.bodyAllowed() {
		return 0, http.ErrBodyNotAllowed
	}
	if !w.head {
		w.body = append(w.body, p...)
	}
	return len(p), nil
}

// WriteString is Write for a string, without the copy.
func (w *responseBuffer) WriteString(s string) (int, error) {
	if !w.bodyAllowed() {
		return 0, http.ErrBodyNotAllowed
	}
	if !w.head {
		w.body = append(w.body, s...)
	}
	return len(s), nil
}

// Flush commits the status (200 if unset); the body goes out whole later.
func (w *responseBuffer) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
}

func (w *responseBuffer) bodyAllowed() bool {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.status != http.StatusNoContent && w.status != http.StatusNotModified
}

// finish completes the response as net/http would: status 200 if none,
// a sniffed Content-Type for a body without one.
func (w *responseBuffer) finish() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if len(w.body) > 0 {
		if _, ok := w.header["Content-Type"]; !ok {
			w.header["Content-Type"] = []string{http.DetectContentType(w.body)}
		}
	}
}

// sortedKeys appends h's keys to keys, in order, skipping skip.
func sortedKeys(keys []string, h http.Header, skip string) []string {
	for k, vs := range h {
		if k != skip && len(vs) > 0 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// start begins a response object with its status code.
func (w *responseBuffer) start() []byte {
	n := 128 + len(w.body) + len(w.body)/3
	for k, vs := range w.header {
		n += len(k) + 8
		for _, v := range vs {
			n += len(v) + 4
		}
	}
	out := make([]byte, 0, n)
	out = append(out, `{"statusCode":`...)
	return strconv.AppendInt(out, int64(w.status), 10)
}

// encodeV1 encodes an API Gateway REST API response.
func (w *responseBuffer) encodeV1() []byte {
	out := w.start()
	var arr [16]string
	keys := sortedKeys(arr[:0], w.header, "")
	out = append(out, `,"headers":{`...)
	first := true
	for _, k := range keys {
		if vs := w.header[k]; len(vs) == 1 {
			out = appendMember(out, &first, k)
			out = appendString(out, vs[0])
		}
	}
	out = append(out, `},"multiValueHeaders":{`...)
	first = true
	for _, k := range keys {
		if vs := w.header[k]; len(vs) > 1 {
			out = appendMember(out, &first, k)
			out = appendStrings(out, vs)
		}
	}
	out = append(out, '}')
	return w.appendBody(out)
}

// encodeV2 encodes an HTTP API / Function URL (format 2.0) response.
func (w *responseBuffer) encodeV2() []byte {
	out := w.start()
	out = append(out, `,"headers":{`...)
	first := true
	var arr [16]string
	for _, k := range sortedKeys(arr[:0], w.header, "Set-Cookie") {
		out = appendMember(out, &first, k)
		out = appendJoined(out, w.header[k])
	}
	out = append(out, '}')
	if cookies := w.header["Set-Cookie"]; len(cookies) > 0 {
		out = append(out, `,"cookies":`...)
		out = appendStrings(out, cookies)
	}
	return w.appendBody(out)
}

// encodeALB encodes an ALB target group response, with multi-value headers
// when the request had them.
func (w *responseBuffer) encodeALB(multi bool) []byte {
	out := w.start()
	out = append(out, `,"statusDescription":`...)
	desc := strconv.Itoa(w.status)
	if t := http.StatusText(w.status); t != "" {
		desc += " " + t
	}
	out = appendString(out, desc)
	first := true
	var arr [16]string
	keys := sortedKeys(arr[:0], w.header, "")
	if multi {
		out = append(out, `,"multiValueHeaders":{`...)
		for _, k := range keys {
			out = appendMember(out, &first, k)
			out = appendStrings(out, w.header[k])
		}
	} else {
		out = append(out, `,"headers":{`...)
		for _, k := range keys {
			out = appendMember(out, &first, k)
			if k == "Set-Cookie" {
				out = appendString(out, w.header[k][0])
			} else {
				out = appendJoined(out, w.header[k])
			}
		}
	}
	out = append(out, '}')
	return w.appendBody(out)
}

// appendBody ends a response object with its body, as text or base64.
func (w *responseBuffer) appendBody(out []byte) []byte {
	out = append(out, `,"body":"`...)
	if len(w.body) == 0 || (isText(w.header.Get("Content-Type")) && utf8.Valid(w.body)) {
		out = appendEscaped(out, w.body)
		return append(out, `","isBase64Encoded":false}`...)
	}
	out = base64.StdEncoding.AppendEncode(out, w.body)
	return append(out, `","isBase64Encoded":true}`...)
}

// isText reports whether a body of media type ct can be sent as text.
func isText(ct string) bool {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.TrimSpace(ct)
	if len(ct) >= 5 && strings.EqualFold(ct[:5], "text/") {
		return true
	}
	typ, sub, ok := strings.Cut(ct, "/")
	if !ok || !strings.EqualFold(typ, "application") {
		// image/svg+xml and the like are still text.
		return ok && (hasSuffixFold(sub, "+xml") || hasSuffixFold(sub, "+json"))
	}
	switch strings.ToLower(sub) {
	case "json", "xml", "javascript", "x-javascript", "ecmascript", "x-www-form-urlencoded":
		return true
	}
	return hasSuffixFold(sub, "+json") || hasSuffixFold(sub, "+xml")
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}

// appendMember appends an object key and its colon, after a comma unless
// it is the first.
func appendMember(out []byte, first *bool, k string) []byte {
	if !*first {
		out = append(out, ',')
	}
	*first = false
	out = appendString(out, k)
	return append(out, ':')
}

func appendStrings(out []byte, vs []string) []byte {
	out = append(out, '[')
	for i, v := range vs {
		if i > 0 {
			out = append(out, ',')
		}
		out = appendString(out, v)
	}
	return append(out, ']')
}

// appendJoined appends vs as one string, joined with ", ".
func appendJoined(out []byte, vs []string) []byte {
	out = append(out, '"')
	for i, v := range vs {
		if i > 0 {
			out = append(out, ", "...)
		}
		out = appendEscaped(out, v)
	}
	return append(out, '"')
}

func appendString(out []byte, s string) []byte {
	out = append(out, '"')
	out = appendEscaped(out, s)
	return append(out, '"')
}

const hexDigits = "0123456789abcdef"

// appendEscaped appends s escaped for a JSON string, invalid UTF-8 replaced
// by U+FFFD as encoding/json does.
func appendEscaped[S string | []byte](out []byte, s S) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			out = append(out, s[start:i]...)
			switch c {
			case '"', '\\':
				out = append(out, '\\', c)
			case '\n':
				out = append(out, '\\', 'n')
			case '\r':
				out = append(out, '\\', 'r')
			case '\t':
				out = append(out, '\\', 't')
			default:
				out = append(out, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
		if r == utf8.RuneError && size == 1 {
			out = append(out, s[start:i]...)
			out = append(out, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			out = append(out, s[start:i]...)
			out = append(out, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(out, s[start:]...)
}

// The payloads are decoded by hand, without reflection, into the events
// types: jsonReader reads strict JSON, keeps unescaped strings as
// substrings of the payload (one copy of it, no allocation per string)
// and gives up on anything it does not handle exactly as encoding/json
// would (a null in a map, a key that differs from a field name only in
// case, a lone surrogate, invalid UTF-8, a fractional timeEpoch...). The
// caller then decodes with encoding/json, so the result, or the error, is
// always encoding/json's. Rarely used nested parts (Lambda and IAM
// authorizers, client certificates) are handed to encoding/json as raw
// JSON. FuzzDecode* check that both decoders agree.

// The JSON names of the fields of the decoded types, for unknown keys.
var (
	v2Fields      = [...]string{"version", "routeKey", "rawPath", "rawQueryString", "cookies", "headers", "queryStringParameters", "pathParameters", "requestContext", "stageVariables", "body", "isBase64Encoded"}
	v2CtxFields   = [...]string{"routeKey", "accountId", "stage", "requestId", "authorizer", "apiId", "domainName", "domainPrefix", "time", "timeEpoch", "http", "authentication"}
	v2HTTPFields  = [...]string{"method", "path", "protocol", "sourceIp", "userAgent"}
	v2AuthFields  = [...]string{"jwt", "lambda", "iam"}
	v2JWTFields   = [...]string{"claims", "scopes"}
	v1Fields      = [...]string{"resource", "path", "httpMethod", "headers", "multiValueHeaders", "queryStringParameters", "multiValueQueryStringParameters", "pathParameters", "stageVariables", "requestContext", "body", "isBase64Encoded"}
	v1CtxFields   = [...]string{"accountId", "resourceId", "operationName", "stage", "domainName", "domainPrefix", "requestId", "extendedRequestId", "protocol", "identity", "resourcePath", "path", "authorizer", "httpMethod", "requestTime", "requestTimeEpoch", "apiId"}
	v1IdentFields = [...]string{"cognitoIdentityPoolId", "accountId", "cognitoIdentityId", "caller", "apiKey", "apiKeyId", "accessKey", "sourceIp", "cognitoAuthenticationType", "cognitoAuthenticationProvider", "userArn", "userAgent", "user", "clientCert"}
	albFields     = [...]string{"httpMethod", "path", "queryStringParameters", "multiValueQueryStringParameters", "headers", "multiValueHeaders", "requestContext", "isBase64Encoded", "body"}
	albCtxFields  = [...]string{"elb"}
	albELBFields  = [...]string{"targetGroupArn"}
)

// decodeV2 decodes an HTTP API / Function URL payload into p, reporting
// false when encoding/json must do it instead.
func decodeV2(s string, p *events.APIGatewayV2HTTPRequest) bool {
	d := jsonReader{s: s}
	return d.object(func(k string) bool {
		switch k {
		case "version":
			return d.stringField(&p.Version)
		case "routeKey":
			return d.stringField(&p.RouteKey)
		case "rawPath":
			return d.stringField(&p.RawPath)
		case "rawQueryString":
			return d.stringField(&p.RawQueryString)
		case "cookies":
			return d.stringSlice(&p.Cookies)
		case "headers":
			return d.stringMap(&p.Headers, 16)
		case "queryStringParameters":
			return d.stringMap(&p.QueryStringParameters, 4)
		case "pathParameters":
			return d.stringMap(&p.PathParameters, 2)
		case "stageVariables":
			return d.stringMap(&p.StageVariables, 4)
		case "requestContext":
			return d.v2Context(&p.RequestContext)
		case "body":
			return d.stringField(&p.Body)
		case "isBase64Encoded":
			return d.boolField(&p.IsBase64Encoded)
		}
		return d.unknown(k, v2Fields[:])
	}) && d.end()
}

func (d *jsonReader) v2Context(c *events.APIGatewayV2HTTPRequestContext) bool {
	return d.object(func(k string) bool {
		switch k {
		case "routeKey":
			return d.stringField(&c.RouteKey)
		case "accountId":
			return d.stringField(&c.AccountID)
		case "stage":
			return d.stringField(&c.Stage)
		case "requestId":
			return d.stringField(&c.RequestID)
		case "authorizer":
			return d.v2Authorizer(&c.Authorizer)
		case "apiId":
			return d.stringField(&c.APIID)
		case "domainName":
			return d.stringField(&c.DomainName)
		case "domainPrefix":
			return d.stringField(&c.DomainPrefix)
		case "time":
			return d.stringField(&c.Time)
		case "timeEpoch":
			return d.int64Field(&c.TimeEpoch)
		case "http":
			return d.object(func(k string) bool {
				h := &c.HTTP
				switch k {
				case "method":
					return d.stringField(&h.Method)
				case "path":
					return d.stringField(&h.Path)
				case "protocol":
					return d.stringField(&h.Protocol)
				case "sourceIp":
					return d.stringField(&h.SourceIP)
				case "userAgent":
					return d.stringField(&h.UserAgent)
				}
				return d.unknown(k, v2HTTPFields[:])
			})
		case "authentication":
			return d.raw(&c.Authentication)
		}
		return d.unknown(k, v2CtxFields[:])
	})
}

func (d *jsonReader) v2Authorizer(pa **events.APIGatewayV2HTTPRequestContextAuthorizerDescription) bool {
	if d.null() {
		*pa = nil
		return true
	}
	if *pa == nil {
		*pa = new(events.APIGatewayV2HTTPRequestContextAuthorizerDescription)
	}
	a := *pa
	return d.object(func(k string) bool {
		switch k {
		case "jwt":
			if d.null() {
				a.JWT = nil
				return true
			}
			if a.JWT == nil {
				a.JWT = new(events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription)
			}
			jwt := a.JWT
			return d.object(func(k string) bool {
				switch k {
				case "claims":
					return d.stringMap(&jwt.Claims, 8)
				case "scopes":
					return d.stringSlice(&jwt.Scopes)
				}
				return d.unknown(k, v2JWTFields[:])
			})
		case "lambda":
			return d.raw(&a.Lambda)
		case "iam":
			return d.raw(&a.IAM)
		}
		return d.unknown(k, v2AuthFields[:])
	})
}

// decodeV1 decodes a REST API payload into p, reporting false when
// encoding/json must do it instead.
func decodeV1(s string, p *events.APIGatewayProxyRequest) bool {
	d := jsonReader{s: s}
	return d.object(func(k string) bool {
		switch k {
		case "resource":
			return d.stringField(&p.Resource)
		case "path":
			return d.stringField(&p.Path)
		case "httpMethod":
			return d.stringField(&p.HTTPMethod)
		case "headers":
			return d.stringMap(&p.Headers, 16)
		case "multiValueHeaders":
			return d.stringsMap(&p.MultiValueHeaders, 16)
		case "queryStringParameters":
			return d.stringMap(&p.QueryStringParameters, 4)
		case "multiValueQueryStringParameters":
			return d.stringsMap(&p.MultiValueQueryStringParameters, 4)
		case "pathParameters":
			return d.stringMap(&p.PathParameters, 2)
		case "stageVariables":
			return d.stringMap(&p.StageVariables, 4)
		case "requestContext":
			return d.v1Context(&p.RequestContext)
		case "body":
			return d.stringField(&p.Body)
		case "isBase64Encoded":
			return d.boolField(&p.IsBase64Encoded)
		}
		return d.unknown(k, v1Fields[:])
	}) && d.end()
}

func (d *jsonReader) v1Context(c *events.APIGatewayProxyRequestContext) bool {
	return d.object(func(k string) bool {
		switch k {
		case "accountId":
			return d.stringField(&c.AccountID)
		case "resourceId":
			return d.stringField(&c.ResourceID)
		case "operationName":
			return d.stringField(&c.OperationName)
		case "stage":
			return d.stringField(&c.Stage)
		case "domainName":
			return d.stringField(&c.DomainName)
		case "domainPrefix":
			return d.stringField(&c.DomainPrefix)
		case "requestId":
			return d.stringField(&c.RequestID)
		case "extendedRequestId":
			return d.stringField(&c.ExtendedRequestID)
		case "protocol":
			return d.stringField(&c.Protocol)
		case "identity":
			return d.v1Identity(&c.Identity)
		case "resourcePath":
			return d.stringField(&c.ResourcePath)
		case "path":
			return d.stringField(&c.Path)
		case "authorizer":
			return d.raw(&c.Authorizer)
		case "httpMethod":
			return d.stringField(&c.HTTPMethod)
		case "requestTime":
			return d.stringField(&c.RequestTime)
		case "requestTimeEpoch":
			return d.int64Field(&c.RequestTimeEpoch)
		case "apiId":
			return d.stringField(&c.APIID)
		}
		return d.unknown(k, v1CtxFields[:])
	})
}

func (d *jsonReader) v1Identity(id *events.APIGatewayRequestIdentity) bool {
	return d.object(func(k string) bool {
		switch k {
		case "cognitoIdentityPoolId":
			return d.stringField(&id.CognitoIdentityPoolID)
		case "accountId":
			return d.stringField(&id.AccountID)
		case "cognitoIdentityId":
			return d.stringField(&id.CognitoIdentityID)
		case "caller":
			return d.stringField(&id.Caller)
		case "apiKey":
			return d.stringField(&id.APIKey)
		case "apiKeyId":
			return d.stringField(&id.APIKeyID)
		case "accessKey":
			return d.stringField(&id.AccessKey)
		case "sourceIp":
			return d.stringField(&id.SourceIP)
		case "cognitoAuthenticationType":
			return d.stringField(&id.CognitoAuthenticationType)
		case "cognitoAuthenticationProvider":
			return d.stringField(&id.CognitoAuthenticationProvider)
		case "userArn":
			return d.stringField(&id.UserArn)
		case "userAgent":
			return d.stringField(&id.UserAgent)
		case "user":
			return d.stringField(&id.User)
		case "clientCert":
			return d.raw(&id.ClientCert)
		}
		return d.unknown(k, v1IdentFields[:])
	})
}

// decodeALB decodes an ALB payload into p, reporting false when
// encoding/json must do it instead.
func decodeALB(s string, p *events.ALBTargetGroupRequest) bool {
	d := jsonReader{s: s}
	return d.object(func(k string) bool {
		switch k {
		case "httpMethod":
			return d.stringField(&p.HTTPMethod)
		case "path":
			return d.stringField(&p.Path)
		case "queryStringParameters":
			return d.stringMap(&p.QueryStringParameters, 4)
		case "multiValueQueryStringParameters":
			return d.stringsMap(&p.MultiValueQueryStringParameters, 4)
		case "headers":
			return d.stringMap(&p.Headers, 16)
		case "multiValueHeaders":
			return d.stringsMap(&p.MultiValueHeaders, 16)
		case "requestContext":
			return d.object(func(k string) bool {
				if k != "elb" {
					return d.unknown(k, albCtxFields[:])
				}
				return d.object(func(k string) bool {
					if k != "targetGroupArn" {
						return d.unknown(k, albELBFields[:])
					}
					return d.stringField(&p.RequestContext.ELB.TargetGroupArn)
				})
			})
		case "isBase64Encoded":
			return d.boolField(&p.IsBase64Encoded)
		case "body":
			return d.stringField(&p.Body)
		}
		return d.unknown(k, albFields[:])
	}) && d.end()
}

// jsonReader reads JSON from s, strictly; see decodeV2. Every method
// reports false for input it gives up on.
type jsonReader struct {
	s string
	i int
}

// next skips white space and returns the next byte, 0 at the end.
func (d *jsonReader) next() byte {
	for d.i < len(d.s) {
		switch c := d.s[d.i]; c {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return c
		}
	}
	return 0
}

// end reports whether only white space is left.
func (d *jsonReader) end() bool { return d.next() == 0 && d.i == len(d.s) }

func (d *jsonReader) literal(lit string) bool {
	if strings.HasPrefix(d.s[d.i:], lit) {
		d.i += len(lit)
		return true
	}
	return false
}

// null consumes a null if one comes next.
func (d *jsonReader) null() bool { return d.next() == 'n' && d.literal("null") }

// object reads an object, calling member with each key, the reader at its
// value.
func (d *jsonReader) object(member func(key string) bool) bool {
	if d.next() != '{' {
		return false
	}
	d.i++
	if d.next() == '}' {
		d.i++
		return true
	}
	for {
		k, ok := d.str()
		if !ok || d.next() != ':' {
			return false
		}
		d.i++
		if !member(k) {
			return false
		}
		switch d.next() {
		case ',':
			d.i++
		case '}':
			d.i++
			return true
		default:
			return false
		}
	}
}

// unknown skips the value of a key that is no field, giving up if
// encoding/json could match the key to a field (it folds case).
func (d *jsonReader) unknown(k string, fields []string) bool {
	for i := 0; i < len(k); i++ {
		if k[i] >= utf8.RuneSelf {
			return false
		}
	}
	for _, f := range fields {
		if strings.EqualFold(k, f) {
			return false
		}
	}
	return d.skip(0)
}

// str reads a string: a substring of s when it has no escapes.
func (d *jsonReader) str() (string, bool) {
	if d.next() != '"' {
		return "", false
	}
	d.i++
	start := d.i
	ascii := true
	for d.i < len(d.s) {
		c := d.s[d.i]
		switch {
		case c == '"':
			v := d.s[start:d.i]
			d.i++
			if !ascii && !utf8.ValidString(v) {
				return "", false
			}
			return v, true
		case c == '\\':
			return d.unescape(start)
		case c < ' ':
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
		d.i++
	}
	return "", false
}

// unescape finishes reading a string that has escapes, from start.
func (d *jsonReader) unescape(start int) (string, bool) {
	// The escaped form is never shorter: the rest up to the closing quote
	// bounds what is left to write.
	end := d.i
	for end < len(d.s) && d.s[end] != '"' {
		if d.s[end] == '\\' {
			end++
		}
		end++
	}
	var b strings.Builder
	b.Grow(min(end, len(d.s)) - start)
	b.WriteString(d.s[start:d.i])
	for d.i < len(d.s) {
		c := d.s[d.i]
		switch {
		case c == '"':
			d.i++
			v := b.String()
			if !utf8.ValidString(v) {
				return "", false
			}
			return v, true
		case c < ' ':
			return "", false
		case c != '\\':
			b.WriteByte(c)
			d.i++
			continue
		}
		if d.i+1 >= len(d.s) {
			return "", false
		}
		e := d.s[d.i+1]
		d.i += 2
		switch e {
		case '"', '\\', '/':
			b.WriteByte(e)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return "", false
			}
			if utf16.IsSurrogate(r) {
				if !strings.HasPrefix(d.s[d.i:], `\u`) {
					return "", false
				}
				d.i += 2
				r2, ok := d.hex4()
				if !ok {
					return "", false
				}
				if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
					return "", false
				}
			}
			b.WriteRune(r)
		default:
			return "", false
		}
	}
	return "", false
}

func (d *jsonReader) hex4() (rune, bool) {
	if d.i+4 > len(d.s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(d.s[d.i : d.i+4]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	d.i += 4
	return r, true
}

// stringField reads a string into dst; null leaves dst as it is.
func (d *jsonReader) stringField(dst *string) bool {
	if d.null() {
		return true
	}
	v, ok := d.str()
	if ok {
		*dst = v
	}
	return ok
}

// boolField reads a boolean into dst; null leaves dst as it is.
func (d *jsonReader) boolField(dst *bool) bool {
	switch d.next() {
	case 'n':
		return d.literal("null")
	case 't':
		*dst = true
		return d.literal("true")
	case 'f':
		*dst = false
		return d.literal("false")
	}
	return false
}

// int64Field reads an integer into dst; null leaves dst as it is.
func (d *jsonReader) int64Field(dst *int64) bool {
	if d.null() {
		return true
	}
	start := d.i
	if !d.number() {
		return false
	}
	n, err := strconv.ParseInt(d.s[start:d.i], 10, 64)
	if err != nil {
		return false // a fraction, an exponent or out of range
	}
	*dst = n
	return true
}

// stringMap reads an object of strings into *m (null: nil), adding to the
// map already there, as encoding/json does.
func (d *jsonReader) stringMap(m *map[string]string, hint int) bool {
	if d.null() {
		*m = nil
		return true
	}
	if d.next() != '{' {
		return false
	}
	if *m == nil {
		*m = make(map[string]string, hint)
	}
	mm := *m
	return d.object(func(k string) bool {
		v, ok := d.str()
		mm[k] = v
		return ok
	})
}

// stringsMap reads an object of string arrays into *m (null: nil).
func (d *jsonReader) stringsMap(m *map[string][]string, hint int) bool {
	if d.null() {
		*m = nil
		return true
	}
	if d.next() != '{' {
		return false
	}
	if *m == nil {
		*m = make(map[string][]string, hint)
	}
	mm := *m
	return d.object(func(k string) bool {
		var vs []string
		if !d.stringSlice(&vs) || vs == nil {
			return false // null: leave it to encoding/json
		}
		mm[k] = vs
		return true
	})
}

// stringSlice reads an array of strings into *dst (null: nil).
func (d *jsonReader) stringSlice(dst *[]string) bool {
	if d.null() {
		*dst = nil
		return true
	}
	if d.next() != '[' {
		return false
	}
	d.i++
	vs := make([]string, 0, 2)
	if d.next() == ']' {
		d.i++
		*dst = vs
		return true
	}
	for {
		v, ok := d.str()
		if !ok {
			return false
		}
		vs = append(vs, v)
		switch d.next() {
		case ',':
			d.i++
		case ']':
			d.i++
			*dst = vs
			return true
		default:
			return false
		}
	}
}

// raw hands the next value to encoding/json, decoding it into v.
func (d *jsonReader) raw(v any) bool {
	d.next()
	start := d.i
	if !d.skip(0) {
		return false
	}
	return json.Unmarshal([]byte(d.s[start:d.i]), v) == nil
}

// skip reads past one value, checking it is valid JSON.
func (d *jsonReader) skip(depth int) bool {
	if depth > 64 {
		return false
	}
	switch d.next() {
	case '"':
		_, ok := d.str()
		return ok
	case '{':
		return d.object(func(string) bool { return d.skip(depth + 1) })
	case '[':
		d.i++
		if d.next() == ']' {
			d.i++
			return true
		}
		for {
			if !d.skip(depth + 1) {
				return false
			}
			switch d.next() {
			case ',':
				d.i++
			case ']':
				d.i++
				return true
			default:
				return false
			}
		}
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	case 'n':
		return d.literal("null")
	}
	return d.number()
}

// number reads a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (d *jsonReader) number() bool {
	s, i := d.s, d.i
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
	}
	d.i = i
	return true
}
