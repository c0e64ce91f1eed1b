package azurefunctions

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fnkit/fnkit/handler"
)

// ErrBadPayload is matched by every error about a request from the
// Functions host that is not a valid custom-handler payload, or whose
// trigger data does not decode. Such errors are invalid input (400).
var ErrBadPayload = errors.New("azurefunctions: bad invocation payload")

// Request is the custom-handler request payload that the Functions host
// POSTs to /<FunctionName>: the trigger's and input bindings' values under
// Data, keyed by binding name, and the trigger metadata under Metadata
// (with the host's own "sys" object). Values are kept raw: the host encodes
// many of them twice (a JSON string holding JSON), which the accessors
// undo.
type Request struct {
	// Data holds each binding's value, by binding name.
	Data map[string]json.RawMessage `json:"Data"`
	// Metadata holds the trigger metadata, by name.
	Metadata map[string]json.RawMessage `json:"Metadata"`
}

// Sys is the host's "sys" metadata object.
type Sys struct {
	// MethodName is the function's name.
	MethodName string `json:"MethodName"`
	// UtcNow is when the host started the invocation.
	UtcNow time.Time `json:"UtcNow"`
	// RandGuid is a random id of the invocation.
	RandGuid string `json:"RandGuid"`
}

// ParseRequest decodes a custom-handler request payload. It fails with an
// invalid-input error matching ErrBadPayload, naming what is wrong, for a
// body that is not a JSON object or whose Data member is missing or not an
// object.
func ParseRequest(body []byte) (Request, error) {
	var r Request
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return r, bad("the request body is empty; the Functions host sends {\"Data\":{…},\"Metadata\":{…}}")
	}
	if body[0] != '{' {
		return r, bad("the request body is not a JSON object")
	}
	if !json.Valid(body) {
		// encoding/json names the syntax error and its offset.
		var probe map[string]json.RawMessage
		err := json.Unmarshal(body, &probe)
		return Request{}, bad("the request body is not a custom-handler payload: %v", jsonError(err))
	}
	// body is valid JSON: split it without copying values.
	top := members(body)
	data, ok := member(top, "Data")
	if !ok {
		return Request{}, bad("the request body has no Data object")
	}
	if data[0] != '{' {
		return Request{}, bad("the request body's Data is not an object")
	}
	r.Data = members(data)
	if meta, ok := member(top, "Metadata"); ok && meta[0] == '{' {
		r.Metadata = members(meta)
	}
	if r.Data == nil {
		return Request{}, bad("the request body has no Data object")
	}
	return r, nil
}

// member returns the member name of m, matched exactly or else, as
// encoding/json matches field names, case-insensitively (the first such
// name in sorted order, so that the choice is deterministic).
func member(m map[string]json.RawMessage, name string) (json.RawMessage, bool) {
	if v, ok := m[name]; ok {
		return v, true
	}
	var best string
	found := false
	for k := range m {
		if strings.EqualFold(k, name) && (!found || k < best) {
			best, found = k, true
		}
	}
	return m[best], found
}

// members splits a valid JSON object into its members, the values being
// sub-slices of obj. A repeated name keeps its last value, as
// encoding/json does.
func members(obj []byte) map[string]json.RawMessage {
	m := make(map[string]json.RawMessage, 8)
	i := skipSpace(obj, 1)
	for i < len(obj) && obj[i] == '"' {
		end := skipValue(obj, i)
		key := obj[i:end]
		var name string
		if bytes.IndexByte(key, '\\') < 0 && utf8.Valid(key) {
			name = string(key[1 : len(key)-1])
		} else {
			_ = json.Unmarshal(key, &name)
		}
		i = skipSpace(obj, end)
		i = skipSpace(obj, i+1) // the colon
		end = skipValue(obj, i)
		m[name] = obj[i:end:end]
		i = skipSpace(obj, end)
		if i < len(obj) && obj[i] == ',' {
			i = skipSpace(obj, i+1)
		}
	}
	return m
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the valid JSON value starting at b[i].
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		for j := i + 1; j < len(b); j++ {
			switch b[j] {
			case '\\':
				j++
			case '"':
				return j + 1
			}
		}
		return len(b)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j = skipValue(b, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(b)
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' && b[j] != '\r' {
		j++
	}
	return j
}

// bad returns an invalid-input error matching ErrBadPayload.
func bad(format string, args ...any) error {
	return handler.InvalidInput(fmt.Errorf("%w: %s", ErrBadPayload, fmt.Sprintf(format, args...)))
}

// jsonError shortens encoding/json's messages a little.
func jsonError(err error) string {
	return strings.TrimPrefix(err.Error(), "json: ")
}

// Binding returns the value of the binding name; if Data has no such key
// but exactly one entry, that entry (a function.json that names its
// trigger differently). It fails naming the binding and the keys present.
func (r *Request) Binding(name string) (json.RawMessage, error) {
	if v, ok := r.Data[name]; ok {
		return v, nil
	}
	if len(r.Data) == 1 {
		for _, v := range r.Data {
			return v, nil
		}
	}
	keys := make([]string, 0, len(r.Data))
	for k := range r.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return nil, bad("Data has no binding %q (it has %q)", name, keys)
}

// Sys returns the host's "sys" metadata, zero if absent or malformed.
func (r *Request) Sys() Sys {
	var s Sys
	if raw, ok := r.Metadata["sys"]; ok {
		if b, ok := objectBytes(raw); ok {
			_ = json.Unmarshal(b, &s)
		}
	}
	return s
}

// MetaString returns the metadata value name as a string: a JSON string,
// decoded once more when the host encoded it twice ("\"abc\"" becomes
// abc), or the JSON text of a number or boolean. Absent or null: "".
func (r *Request) MetaString(name string) string {
	return stringValue(r.Metadata[name])
}

// MetaInt returns the metadata value name as an integer: a JSON number,
// or a string holding one (possibly encoded twice). ok is false when it is
// absent or not an integer.
func (r *Request) MetaInt(name string) (n int64, ok bool) {
	return intValue(r.Metadata[name])
}

// MetaTime returns the metadata value name as a time (RFC 3339, as the
// host writes .NET DateTime values); ok is false when absent or invalid.
func (r *Request) MetaTime(name string) (time.Time, bool) {
	return timeValue(r.Metadata[name])
}

// stringValue decodes a JSON string (twice if it holds a JSON string
// literal), or returns the text of another scalar.
func stringValue(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	if raw[0] != '"' {
		if raw[0] == '{' || raw[0] == '[' {
			return ""
		}
		return string(raw)
	}
	if len(raw) < 2 || raw[len(raw)-1] != '"' {
		return ""
	}
	in := raw[1 : len(raw)-1]
	if bytes.IndexByte(in, '\\') < 0 && utf8.Valid(in) {
		return string(in) // no escapes: the JSON text is the string
	}
	// "\"abc\"": a quoted string encoded again, without other escapes.
	if len(in) >= 4 && in[0] == '\\' && in[1] == '"' && in[len(in)-2] == '\\' && in[len(in)-1] == '"' {
		if inner := in[2 : len(in)-2]; bytes.IndexByte(inner, '\\') < 0 && bytes.IndexByte(inner, '"') < 0 && utf8.Valid(inner) {
			return string(inner)
		}
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		var inner string
		if json.Unmarshal([]byte(s), &inner) == nil {
			return inner
		}
	}
	return s
}

func intValue(raw json.RawMessage) (int64, bool) {
	s := stringValue(raw)
	if s == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}

func timeValue(raw json.RawMessage) (time.Time, bool) {
	s := stringValue(raw)
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		// .NET writes DateTime without a zone when its Kind is
		// unspecified; the host's values are UTC.
		t, err = time.Parse("2006-01-02T15:04:05.9999999", s)
		if err != nil {
			return time.Time{}, false
		}
	}
	return t, true
}

// objectBytes returns the JSON object raw holds: raw itself, or the
// content of a JSON string that holds an object (double encoding).
func objectBytes(raw json.RawMessage) ([]byte, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, false
	}
	switch raw[0] {
	case '{':
		return raw, true
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil, false
		}
		b := bytes.TrimSpace([]byte(s))
		if len(b) > 0 && b[0] == '{' && json.Valid(b) {
			return b, true
		}
	}
	return nil, false
}

// arrayValues returns the elements of the JSON array raw holds: raw
// itself, or the content of a JSON string that holds an array.
func arrayValues(raw json.RawMessage) ([]json.RawMessage, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, false
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil, false
		}
		raw = bytes.TrimSpace([]byte(s))
	}
	if len(raw) == 0 || raw[0] != '[' {
		return nil, false
	}
	var vs []json.RawMessage
	if json.Unmarshal(raw, &vs) != nil {
		return nil, false
	}
	return vs, true
}

// Media types.
const (
	mediaJSON  = "application/json"
	mediaText  = "text/plain; charset=utf-8"
	mediaOctet = "application/octet-stream"
)

// payload turns a message binding's value into event data: a JSON string
// gives its content exactly (the message text as sent, decoded once),
// typed application/json when that text is JSON and text/plain otherwise;
// any other JSON value gives its JSON text as application/json. When
// contentType names a binary type and the string is base64 (how the host
// passes bytes), the decoded bytes are the data. A null or absent value
// gives no data.
func payload(raw json.RawMessage, contentType string) ([]byte, string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, "", nil
	}
	if raw[0] != '"' {
		if !json.Valid(raw) {
			return nil, "", bad("binding value is not valid JSON")
		}
		return raw, mediaJSON, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, "", bad("binding value is not a valid JSON string: %v", jsonError(err))
	}
	b := []byte(s)
	if len(b) > 0 && contentType != "" && !isTextual(contentType) {
		if dec, err := base64.StdEncoding.DecodeString(s); err == nil {
			return dec, contentType, nil
		}
		return b, contentType, nil
	}
	if len(b) == 0 {
		return nil, "", nil
	}
	if contentType != "" {
		if isJSONType(contentType) && !json.Valid(b) {
			return nil, "", bad("the content type is %s but the value is not JSON", contentType)
		}
		return b, contentType, nil
	}
	if json.Valid(b) {
		return b, mediaJSON, nil
	}
	return b, mediaText, nil
}

// isTextual reports whether a media type carries text: text/*, JSON, XML,
// form data and JavaScript.
func isTextual(ct string) bool {
	media, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	switch {
	case strings.HasPrefix(media, "text/"),
		media == mediaJSON, strings.HasSuffix(media, "+json"),
		media == "application/xml", strings.HasSuffix(media, "+xml"),
		media == "application/x-www-form-urlencoded",
		media == "application/javascript":
		return true
	}
	return false
}

// validMedia reports whether ct parses as a media type.
func validMedia(ct string) bool {
	_, _, err := mime.ParseMediaType(ct)
	return err == nil
}

// replyValue turns a reply's data into the JSON value of an output or
// return value: JSON data as itself, text as a string, other bytes as a
// base64 string (the host's encoding of bytes).
func replyValue(data []byte, contentType string) json.RawMessage {
	if len(data) == 0 {
		return nil
	}
	if contentType == "" || isJSONType(contentType) {
		if json.Valid(data) {
			return data
		}
	}
	if contentType == "" || isTextual(contentType) {
		if utf8.Valid(data) {
			b, _ := json.Marshal(string(data))
			return b
		}
	}
	b, _ := json.Marshal(base64.StdEncoding.EncodeToString(data))
	return b
}

func isJSONType(ct string) bool {
	media, _, err := mime.ParseMediaType(ct)
	return err == nil && (media == mediaJSON || strings.HasSuffix(media, "+json"))
}
