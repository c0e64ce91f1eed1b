package azurefunctions

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"unicode/utf8"

	"github.com/fnkit/fnkit/handler"
)

// HTTPRequest is the HTTP trigger's binding value in a custom-handler
// payload (without request forwarding).
type HTTPRequest struct {
	// URL is the request's full URL.
	URL string `json:"Url"`
	// Method is the request method.
	Method string `json:"Method"`
	// Headers holds the request headers: each a list of values, or one.
	Headers map[string]json.RawMessage `json:"Headers"`
	// Params holds the route parameters.
	Params map[string]string `json:"Params"`
	// Body is the body: a string (base64 for a binary content type), a
	// JSON value, or null.
	Body json.RawMessage `json:"Body"`
}

// HTTPResponse is the value given to the HTTP output binding.
type HTTPResponse struct {
	// StatusCode is the response status.
	StatusCode int `json:"statusCode"`
	// Headers holds the response headers, several values joined by ", ".
	Headers map[string]string `json:"headers,omitempty"`
	// Body is the response body: text as it is, other bytes in base64.
	Body string `json:"body"`
}

// NewHTTPRequest builds the *http.Request that an HTTP binding payload
// describes, with ctx, the headers, the route parameters (r.PathValue) and
// the body. It fails with an invalid-input error matching ErrBadPayload.
func NewHTTPRequest(ctx context.Context, raw json.RawMessage) (*http.Request, error) {
	b, ok := objectBytes(raw)
	if !ok {
		return nil, bad("the HTTP binding value is not a JSON object")
	}
	var hr HTTPRequest
	if err := json.Unmarshal(b, &hr); err != nil {
		return nil, bad("the HTTP binding value is not valid: %v", jsonError(err))
	}
	if hr.Method == "" {
		hr.Method = http.MethodGet
	}
	u, err := url.Parse(hr.URL)
	if err != nil || hr.URL == "" {
		return nil, bad("the HTTP binding's Url %q is not a URL", hr.URL)
	}
	h := http.Header{}
	for k, v := range hr.Headers {
		var list []string
		if json.Unmarshal(v, &list) == nil {
			for _, s := range list {
				h.Add(k, s)
			}
			continue
		}
		if s := stringValue(v); s != "" {
			h.Add(k, s)
		}
	}
	var body []byte
	if raw := bytes.TrimSpace(hr.Body); len(raw) > 0 && string(raw) != "null" {
		ct := h.Get("Content-Type")
		if raw[0] == '"' {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, bad("the HTTP binding's Body is not a valid JSON string")
			}
			body = []byte(s)
			if ct != "" && !isTextual(ct) {
				if dec, err := base64.StdEncoding.DecodeString(s); err == nil {
					body = dec
				}
			}
		} else {
			body = raw
		}
	}
	r, err := http.NewRequestWithContext(ctx, hr.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, bad("the HTTP binding does not make a request: %v", err)
	}
	r.Header = h
	r.ContentLength = int64(len(body))
	r.RequestURI = u.RequestURI()
	if host := h.Get("Host"); host != "" {
		r.Host = host
	}
	for k, v := range hr.Params {
		r.SetPathValue(k, v)
	}
	return r, nil
}

// responseBuffer collects an http.Handler's response for the HTTP
// output binding.
type responseBuffer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (rb *responseBuffer) Header() http.Header { return rb.header }

func (rb *responseBuffer) WriteHeader(code int) {
	if rb.status == 0 {
		rb.status = code
	}
}

func (rb *responseBuffer) Write(p []byte) (int, error) {
	if rb.status == 0 {
		rb.status = http.StatusOK
	}
	return rb.body.Write(p)
}

// httpResponse maps the collected response to the output binding value.
func (rb *responseBuffer) httpResponse() HTTPResponse {
	out := HTTPResponse{StatusCode: rb.status, Headers: map[string]string{}}
	if out.StatusCode == 0 {
		out.StatusCode = http.StatusOK
	}
	body := rb.body.Bytes()
	ct := rb.header.Get("Content-Type")
	if ct == "" && len(body) > 0 {
		ct = http.DetectContentType(body)
		rb.header.Set("Content-Type", ct)
	}
	for k, v := range rb.header {
		out.Headers[k] = strings.Join(v, ", ")
	}
	if len(body) > 0 && (!isTextual(ct) || !utf8.Valid(body)) {
		out.Body = base64.StdEncoding.EncodeToString(body)
	} else {
		out.Body = string(body)
	}
	return out
}

// serveBinding serves an HTTP function invoked with the HTTP binding
// payload: the request it describes goes to the function's http.Handler,
// whose response becomes the HTTP output binding's value.
func (b *bound) serveBinding(w http.ResponseWriter, r *http.Request) {
	body, err := b.readBody(r)
	if err != nil {
		b.fail(w, r, err)
		return
	}
	req, err := ParseRequest(body)
	if err != nil {
		b.fail(w, r, err)
		return
	}
	raw, err := req.Binding(b.fn.cfg.binding)
	if err != nil {
		b.fail(w, r, err)
		return
	}
	ctx := handler.WithInvocation(r.Context(), b.invocation(r, &req, true))
	hr, err := NewHTTPRequest(ctx, raw)
	if err != nil {
		b.fail(w, r, err)
		return
	}
	if m := b.fn.cfg.methods; len(m) > 0 && !containsFold(m, hr.Method) {
		rb := &responseBuffer{header: http.Header{"Allow": {strings.ToUpper(strings.Join(m, ", "))}}, status: http.StatusMethodNotAllowed}
		b.writeHTTP(w, r, rb)
		return
	}
	rb := &responseBuffer{header: http.Header{}}
	if err := serveRecovering(b.fn.http, rb, hr); err != nil {
		b.fail(w, r, err)
		return
	}
	b.writeHTTP(w, r, rb)
}

func (b *bound) writeHTTP(w http.ResponseWriter, r *http.Request, rb *responseBuffer) {
	v, err := json.Marshal(rb.httpResponse())
	if err != nil {
		b.fail(w, r, err)
		return
	}
	resp := &Response{}
	if b.fn.cfg.output == ReturnBinding {
		resp.ReturnValue = v
	} else {
		resp.Outputs = map[string]json.RawMessage{b.fn.cfg.output: v}
	}
	writeResponse(w, resp)
}

// serveRecovering runs h, turning a panic into a *handler.PanicError
// (500: the invocation fails and the host answers the client 500).
func serveRecovering(h http.Handler, w http.ResponseWriter, r *http.Request) (err error) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			err = &handler.PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	h.ServeHTTP(w, r)
	return nil
}
