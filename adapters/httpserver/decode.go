package httpserver

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"

	"github.com/fnkit/fnkit/handler"
)

// mode is the CloudEvents HTTP content mode of a request, and of its reply.
type mode uint8

const (
	modeBinary     mode = iota // ce-* headers, data in the body
	modeStructured             // application/cloudevents+json
	modeBatch                  // application/cloudevents-batch+json
	modePlain                  // no CloudEvents headers: the body is the data
)

// Media types of the CloudEvents HTTP binding.
const (
	mediaStructured = "application/cloudevents+json"
	mediaBatch      = "application/cloudevents-batch+json"
	mediaProblem    = "application/problem+json"
)

// errBodyTooLarge is the invalid-input error of a body over the limit (413).
var errBodyTooLarge = errors.New("httpserver: request body too large")

// invalid returns an invalid-input error whose detail is shown to clients.
func invalid(format string, args ...any) error {
	return handler.InvalidInput(fmt.Errorf(format, args...))
}

// readBody reads at most limit bytes of r's body, allocating once when the
// length is known.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > 0 {
		buf := make([]byte, r.ContentLength)
		if _, err := io.ReadFull(r.Body, buf); err != nil {
			return nil, fmt.Errorf("httpserver: reading body: %w", err)
		}
		return buf, nil
	}
	buf, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("httpserver: reading body: %w", err)
	}
	if int64(len(buf)) > limit {
		return nil, tooLarge(limit)
	}
	if len(buf) == 0 {
		return nil, nil
	}
	return buf, nil
}

func tooLarge(limit int64) error {
	return &handler.Error{
		Class:  handler.ClassInvalidInput,
		Err:    errBodyTooLarge,
		Detail: fmt.Sprintf("request body is larger than the limit of %d bytes", limit),
	}
}

// modeOf tells the content mode from the request headers.
func modeOf(h http.Header) (mode, error) {
	ct := headerValue(h, "Content-Type")
	media := ct
	if i := strings.IndexByte(media, ';'); i >= 0 {
		media = media[:i]
	}
	media = strings.TrimSpace(media)
	switch {
	case hasPrefixFold(media, "application/cloudevents-batch"):
		if !strings.EqualFold(media, mediaBatch) {
			return 0, unsupportedFormat(media)
		}
		return modeBatch, nil
	case hasPrefixFold(media, "application/cloudevents"):
		if !strings.EqualFold(media, mediaStructured) {
			return 0, unsupportedFormat(media)
		}
		return modeStructured, nil
	}
	for _, k := range requiredHeaders {
		if _, ok := h[k]; ok {
			return modeBinary, nil
		}
	}
	// Any other ce-* header makes a broken binary CloudEvent, answered 400
	// naming what is missing, never a plain request whose ce-* values would
	// be dropped.
	for k := range h {
		if len(k) > 3 && k[:3] == "Ce-" {
			return modeBinary, nil
		}
	}
	return modePlain, nil
}

func unsupportedFormat(media string) error {
	return &handler.Error{
		Class:  handler.ClassInvalidInput,
		Err:    fmt.Errorf("%w: event format %q", handler.ErrUnsupportedMediaType, media),
		Detail: fmt.Sprintf("unsupported event format %q: use %s or %s", media, mediaStructured, mediaBatch),
	}
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// headerValue returns the first value of a canonical header key.
func headerValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Canonical header keys of the binary mode.
const (
	hdrID          = "Ce-Id"
	hdrSource      = "Ce-Source"
	hdrType        = "Ce-Type"
	hdrSpecVersion = "Ce-Specversion"
	hdrSubject     = "Ce-Subject"
	hdrTime        = "Ce-Time"
	hdrDataSchema  = "Ce-Dataschema"
	hdrDataCT      = "Ce-Datacontenttype"
)

var requiredHeaders = [...]string{hdrSpecVersion, hdrID, hdrSource, hdrType}

// inbound holds an incoming event's context, its content type and the
// invocation metadata in one allocation.
type inbound struct {
	ec     event.EventContextV1
	ct     string
	source string // the source as received, reused when a reply keeps it
	inv    handler.Invocation
}

// decodeBinary builds an event from binary-mode headers and body.
func decodeBinary(in *inbound, h http.Header, body []byte, last *atomic.Pointer[parsedSource]) (event.Event, error) {
	var specversion string
	var seen [len(requiredHeaders)]bool
	for key, vals := range h {
		if len(key) < 4 || key[:3] != "Ce-" {
			continue
		}
		if len(vals) != 1 {
			return event.Event{}, invalid("header %s is given %d times; it must be given once", key, len(vals))
		}
		v, err := unescapeHeader(vals[0])
		if err != nil {
			return event.Event{}, invalid("header %s: %v", key, err)
		}
		switch key {
		case hdrSpecVersion:
			specversion, seen[0] = v, true
		case hdrID:
			in.ec.ID, seen[1] = v, true
		case hdrSource:
			in.source, seen[2] = v, true
		case hdrType:
			in.ec.Type, seen[3] = v, true
		case hdrSubject:
			if v != "" {
				s := v
				in.ec.Subject = &s
			}
		case hdrTime:
			t, err := parseTime(v)
			if err != nil {
				return event.Event{}, invalid("header ce-time: %q is not an RFC 3339 timestamp", v)
			}
			in.ec.Time = &types.Timestamp{Time: t}
		case hdrDataSchema:
			u, err := url.Parse(v)
			if err != nil || !u.IsAbs() {
				return event.Event{}, invalid("header ce-dataschema: %q is not an absolute URI", v)
			}
			in.ec.DataSchema = &types.URI{URL: *u}
		case hdrDataCT:
			if headerValue(h, "Content-Type") == "" {
				if err := in.setContentType(v); err != nil {
					return event.Event{}, err
				}
			}
		default:
			name := strings.ToLower(key[3:])
			if !validExtensionName(name) {
				return event.Event{}, invalid("header %s: extension names must be lower-case letters and digits", key)
			}
			if in.ec.Extensions == nil {
				in.ec.Extensions = make(map[string]any, 2)
			}
			in.ec.Extensions[name] = v
		}
	}
	if seen != [len(requiredHeaders)]bool{true, true, true, true} {
		return event.Event{}, missingHeaders(seen)
	}
	switch specversion {
	case event.CloudEventsVersionV1:
	case event.CloudEventsVersionV03:
		var err error
		if body, err = in.fromV03(body); err != nil {
			return event.Event{}, err
		}
	default:
		return event.Event{}, invalid("unsupported ce-specversion %q: %q and %q are supported", specversion, event.CloudEventsVersionV1, event.CloudEventsVersionV03)
	}
	// Required strings must be non-empty; a space is a valid id.
	if in.ec.ID == "" {
		return event.Event{}, invalid("header ce-id must not be empty")
	}
	if in.ec.Type == "" {
		return event.Event{}, invalid("header ce-type must not be empty")
	}
	if err := in.setSource(last); err != nil {
		return event.Event{}, err
	}
	if err := in.setContentType(headerValue(h, "Content-Type")); err != nil {
		return event.Event{}, err
	}
	return in.event(body), nil
}

// fromV03 converts the attributes of a CloudEvents 0.3 binary-mode
// request to 1.0, as the CloudEvents SDK does: ce-schemaurl becomes
// dataschema, and ce-datacontentencoding: base64 means a base64 body,
// which is decoded.
func (in *inbound) fromV03(body []byte) ([]byte, error) {
	if v, ok := in.ec.Extensions["schemaurl"].(string); ok {
		u, err := url.Parse(v)
		if err != nil || !u.IsAbs() {
			return nil, invalid("header ce-schemaurl: %q is not an absolute URI", v)
		}
		in.ec.DataSchema = &types.URI{URL: *u}
		delete(in.ec.Extensions, "schemaurl")
	}
	if v, ok := in.ec.Extensions["datacontentencoding"].(string); ok {
		if !strings.EqualFold(v, "base64") {
			return nil, invalid("header ce-datacontentencoding: %q is not supported: only base64 is", v)
		}
		delete(in.ec.Extensions, "datacontentencoding")
		data := make([]byte, base64.StdEncoding.DecodedLen(len(body)))
		n, err := base64.StdEncoding.Decode(data, body)
		if err != nil {
			return nil, invalid("ce-datacontentencoding is base64, but the body is not: %v", err)
		}
		body = data[:n]
	}
	return body, nil
}

// setSource parses in.source into the event context, reusing the last
// parse when the source repeats, as it does for most senders.
func (in *inbound) setSource(last *atomic.Pointer[parsedSource]) error {
	if p := last.Load(); p != nil && p.raw == in.source {
		in.ec.Source = p.ref
		return nil
	}
	if in.source == "" {
		return invalid("header ce-source must not be empty")
	}
	u, err := url.Parse(in.source)
	if err != nil {
		return invalid("header ce-source: %q is not a URI-reference", in.source)
	}
	in.ec.Source = types.URIRef{URL: *u}
	last.Store(&parsedSource{raw: in.source, ref: in.ec.Source})
	return nil
}

// parsedSource is a source string and its parse.
type parsedSource struct {
	raw string
	ref types.URIRef
}

// setContentType sets the data content type from a Content-Type header,
// which must be a valid media type (RFC 2046) if present.
func (in *inbound) setContentType(ct string) error {
	if ct == "" {
		return nil
	}
	if !validMediaType(ct) {
		return invalid("Content-Type %q is not a valid media type", ct)
	}
	in.ct = ct
	return nil
}

// validMediaType reports whether ct is a media type as RFC 2046 and
// mime.ParseMediaType have it. The common form without parameters is
// checked without allocating.
func validMediaType(ct string) bool {
	if strings.IndexByte(ct, ';') >= 0 {
		_, _, err := mime.ParseMediaType(ct)
		return err == nil
	}
	ct = strings.TrimSpace(ct)
	slash := strings.IndexByte(ct, '/')
	return slash > 0 && isToken(ct[:slash]) && isToken(ct[slash+1:])
}

// isToken reports whether s is a non-empty RFC 2045 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return true
}

// isTokenChar reports whether c may appear in an RFC 2045 token.
func isTokenChar(c byte) bool {
	if c <= ' ' || c >= 0x7f {
		return false
	}
	switch c {
	case '(', ')', '<', '>', '@', ',', ';', ':', '\\', '"', '/', '[', ']', '?', '=':
		return false
	}
	return true
}

func (in *inbound) event(body []byte) event.Event {
	if in.ct != "" {
		in.ec.DataContentType = &in.ct
	}
	return event.Event{Context: &in.ec, DataEncoded: body}
}

// validExtensionName reports whether name is a valid CloudEvents attribute
// name: lower-case ASCII letters and digits.
func validExtensionName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// missingHeaders names every required binary-mode header a request lacks.
func missingHeaders(seen [len(requiredHeaders)]bool) error {
	var missing []string
	var fields []handler.FieldError
	for i, ok := range seen {
		if !ok {
			name := strings.ToLower(requiredHeaders[i])
			missing = append(missing, name)
			fields = append(fields, handler.FieldError{Field: name, Rule: "required", Message: "is required"})
		}
	}
	return handler.InvalidInput(fmt.Errorf("missing required header %s: a binary-mode CloudEvent needs ce-specversion, ce-id, ce-source and ce-type",
		strings.Join(missing, ", ")), fields...)
}

// decodeStructured decodes one event in the structured JSON format.
// CloudEvents 0.3 events are converted to 1.0.
func decodeStructured(body []byte) (event.Event, error) {
	var e event.Event
	if len(body) == 0 {
		return e, invalid("empty body: expected a CloudEvent in %s", mediaStructured)
	}
	if err := json.Unmarshal(body, &e); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			return event.Event{}, handler.InvalidJSON(err)
		}
		// The SDK parses time with Go's layout, narrower than RFC 3339.
		fixed, ok := withLenientTime(body)
		if !ok {
			return event.Event{}, invalid("malformed CloudEvent: %s", strings.TrimPrefix(err.Error(), "json: "))
		}
		e = event.Event{}
		if err := json.Unmarshal(fixed, &e); err != nil {
			return event.Event{}, invalid("malformed CloudEvent: %s", strings.TrimPrefix(err.Error(), "json: "))
		}
	}
	if err := checkEvent(&e); err != nil {
		return event.Event{}, err
	}
	return e, checkStructured(body, &e)
}

// withLenientTime rewrites the "time" member of a structured event that
// Go's layout rejects but RFC 3339 allows (see parseTime); it reports
// false if there is nothing to rewrite.
func withLenientTime(body []byte) ([]byte, bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return nil, false
	}
	var v string
	if json.Unmarshal(m["time"], &v) != nil {
		return nil, false
	}
	t, err := parseTime(v)
	if err != nil {
		return nil, false
	}
	m["time"], _ = json.Marshal(types.FormatTime(t))
	fixed, err := json.Marshal(m)
	return fixed, err == nil
}

// checkStructured checks what the SDK's decoder lets through: both data
// and data_base64 (the JSON format forbids it), an integer extension
// given as a fraction (which the SDK truncates), and strings that are not
// valid CloudEvents Strings. The members are decoded a second time only
// when one of the first two can apply.
func checkStructured(body []byte, e *event.Event) error {
	var raw map[string]json.RawMessage
	members := func() map[string]json.RawMessage {
		if raw == nil {
			_ = json.Unmarshal(body, &raw) // the body is valid JSON: it decoded
		}
		return raw
	}
	if bytes.Contains(body, []byte(`"data_base64"`)) {
		m := members()
		if _, ok := m["data"]; ok {
			if _, ok := m["data_base64"]; ok {
				return handler.InvalidInput(errors.New("a CloudEvent carries data or data_base64, not both"),
					handler.FieldError{Field: "data_base64", Rule: "excluded_with", Message: "must not be given with data"})
			}
		}
	}
	for name, v := range e.Extensions() {
		switch v := v.(type) {
		case int32:
			if r := members()[name]; bytes.ContainsAny(r, ".eE") {
				return invalid("extension %s: %s is not an integer: CloudEvents integers are whole numbers", name, r)
			}
		case string:
			if err := checkString(v); err != nil {
				return invalid("extension %s: %v", name, err)
			}
		}
	}
	for _, a := range [...]struct{ name, v string }{{"id", e.ID()}, {"source", e.Source()}, {"type", e.Type()}, {"subject", e.Subject()}} {
		if err := checkString(a.v); err != nil {
			return invalid("attribute %s: %v", a.name, err)
		}
	}
	return nil
}

// checkEvent validates a decoded event and names the attributes at fault.
// A CloudEvents 0.3 event is converted to 1.0 first, as the CloudEvents
// SDK converts it (schemaurl becomes dataschema; base64 data is decoded).
func checkEvent(e *event.Event) error {
	if e.Context == nil {
		return invalid("missing required attribute specversion")
	}
	switch v := e.SpecVersion(); v {
	case event.CloudEventsVersionV1:
	case event.CloudEventsVersionV03:
		e.SetSpecVersion(event.CloudEventsVersionV1)
	default:
		return invalid("unsupported specversion %q: %q and %q are supported", v, event.CloudEventsVersionV1, event.CloudEventsVersionV03)
	}
	err := e.Validate()
	if err == nil {
		return nil
	}
	var verr event.ValidationError
	if errors.As(err, &verr) {
		// The SDK trims id and type before its non-empty check; the
		// specification asks only for a non-empty string.
		if e.ID() != "" {
			delete(verr, "id")
		}
		if e.Type() != "" {
			delete(verr, "type")
		}
		if len(verr) == 0 {
			return nil
		}
		names := make([]string, 0, len(verr))
		for k := range verr {
			names = append(names, k)
		}
		sort.Strings(names)
		msgs := make([]string, len(names))
		fields := make([]handler.FieldError, len(names))
		for i, k := range names {
			msgs[i] = k + ": " + verr[k].Error()
			fields[i] = handler.FieldError{Field: k, Message: verr[k].Error()}
		}
		return handler.InvalidInput(fmt.Errorf("invalid CloudEvent: %s", strings.Join(msgs, "; ")), fields...)
	}
	return invalid("invalid CloudEvent: %v", err)
}

// decodeBatch splits a batch into raw events; each is decoded on its own so
// that one bad event does not fail the others.
func decodeBatch(body []byte) ([]json.RawMessage, error) {
	if len(body) == 0 {
		return nil, invalid("empty body: expected a JSON array of CloudEvents in %s", mediaBatch)
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			return nil, handler.InvalidJSON(err)
		}
		return nil, invalid("malformed batch: expected a JSON array of CloudEvents")
	}
	return raw, nil
}

// decodePlain makes an event of a request without CloudEvents headers: the
// body is the data, the id is the Idempotency-Key header or a fresh one,
// the source is the request path, and the type is configured.
func decodePlain(in *inbound, r *http.Request, body []byte, cfg *config, last *atomic.Pointer[parsedSource]) (event.Event, error) {
	in.ec.ID = headerValue(r.Header, "Idempotency-Key")
	if in.ec.ID == "" {
		in.ec.ID = cfg.newID()
		in.inv.IDGenerated = true
	} else if len(in.ec.ID) > 255 {
		return event.Event{}, invalid("header Idempotency-Key is longer than 255 bytes")
	}
	in.ec.Type = cfg.plainType
	in.source = r.URL.Path
	if in.source == "" {
		in.source = "/"
	}
	if err := in.setSource(last); err != nil {
		return event.Event{}, err
	}
	if err := in.setContentType(headerValue(r.Header, "Content-Type")); err != nil {
		return event.Event{}, err
	}
	return in.event(body), nil
}
