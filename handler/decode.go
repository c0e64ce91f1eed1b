package handler

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"
)

// valueKind is how a typed handler moves data between an event and a Go value.
type valueKind uint8

const (
	kindJSON   valueKind = iota // any other type: JSON
	kindBytes                   // []byte: the raw data, whatever its content type
	kindRaw                     // json.RawMessage: raw JSON
	kindString                  // string: text/* raw, JSON as a JSON string
)

func kindOf[T any]() valueKind {
	var v T
	switch any(&v).(type) {
	case *[]byte:
		return kindBytes
	case *json.RawMessage:
		return kindRaw
	case *string:
		return kindString
	}
	return kindJSON
}

// typeName names T for logs, e.g. "hello.Request"; client-facing text
// speaks of the JSON shape instead (see jsonShape).
func typeName[T any]() string {
	t := reflect.TypeFor[T]()
	return t.String()
}

// names are what error messages call a typed handler's input: its Go type
// in the error (for logs), its JSON shape in the client's detail.
type names struct {
	goType string // "hello.Request"
	shape  string // "a JSON object"
}

func namesOf[T any](kind valueKind) names {
	n := names{goType: typeName[T](), shape: "JSON"}
	switch kind {
	case kindJSON, kindString:
		n.shape = "JSON " + strings.TrimPrefix(strings.TrimPrefix(jsonKind(reflect.TypeFor[T]()), "a "), "an ")
		n.shape = article(n.shape) + n.shape
	}
	return n
}

// article returns "a " or "an " for a phrase starting with s.
func article(s string) string {
	if s != "" && strings.ContainsRune("aeiouAEIOU", rune(s[0])) {
		return "an "
	}
	return "a "
}

// decodeData decodes e's data into a T according to kind and e's
// datacontenttype. Errors are invalid-input errors that say what failed.
func decodeData[T any](e *event.Event, kind valueKind, strict bool, name names) (T, error) {
	var v T
	data := e.DataEncoded
	ct := e.DataContentType()
	media := classifyMedia(ct)

	switch kind {
	case kindBytes:
		*any(&v).(*[]byte) = data
		return v, nil
	case kindString:
		switch media {
		case mediaText:
			*any(&v).(*string) = string(data)
			return v, nil
		case mediaJSON, mediaAbsent:
			// decoded as JSON below
		default:
			return v, unsupported(ct, name)
		}
	case kindRaw, kindJSON:
		if media != mediaJSON && media != mediaAbsent {
			return v, unsupported(ct, name)
		}
	}
	if len(data) == 0 {
		return v, &Error{
			Class:  ClassInvalidInput,
			Err:    ErrNoData,
			Detail: "event has no data; expected " + name.shape,
		}
	}
	if kind == kindRaw {
		if !json.Valid(data) {
			return v, jsonError(json.Unmarshal(data, new(any)), name)
		}
		*any(&v).(*json.RawMessage) = data
		return v, nil
	}
	if strict {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil {
			return v, jsonError(err, name)
		}
		if _, err := dec.Token(); err != io.EOF {
			return v, jsonError(errors.New("json: data after the top-level value"), name)
		}
		return v, nil
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return v, jsonError(err, name)
	}
	return v, nil
}

func unsupported(ct string, name names) error {
	return &Error{
		Class:  ClassInvalidInput,
		Err:    fmt.Errorf("%w: cannot decode %q into %s", ErrUnsupportedMediaType, ct, name.goType),
		Detail: fmt.Sprintf("unsupported datacontenttype %q: expected %s", ct, name.shape),
	}
}

// InvalidJSON classifies an error of encoding/json — malformed or
// truncated JSON, a value of the wrong type — as invalid input whose
// Detail says in the client's terms what was wrong and where, the same way
// everywhere in fnkit:
//
//	malformed JSON at byte 12: invalid character '}' looking for beginning of value
//	malformed JSON: unexpected end of data
//	field "qty": expected an integer, got JSON string
//
// It returns nil for a nil err. Adapters and decoders use it so that every
// JSON failure reads alike.
func InvalidJSON(err error) error {
	if err == nil {
		return nil
	}
	return jsonError(err, names{goType: "JSON", shape: "JSON"})
}

// jsonError turns an encoding/json error into an invalid-input error that
// names the field or the byte offset at fault, in the client's terms; the
// Go type appears only in the wrapped error, for logs.
func jsonError(err error, name names) error {
	var (
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
		detail string
		fields []FieldError
	)
	switch {
	case errors.As(err, &syntax) && syntax.Error() == "unexpected end of JSON input":
		detail = "malformed JSON: unexpected end of data"
	case errors.As(err, &syntax):
		detail = "malformed JSON at byte " + strconv.FormatInt(syntax.Offset, 10) + ": " + syntax.Error()
	case errors.As(err, &typ):
		field := typ.Field
		msg := "expected " + jsonKind(typ.Type) + ", got JSON " + typ.Value
		if field == "" {
			detail = "data: expected " + name.shape + ", got JSON " + typ.Value
			if name.shape == "JSON" {
				detail = "data: " + msg
			}
		} else {
			detail = "field " + strconv.Quote(field) + ": " + msg
			fields = []FieldError{{Field: field, Rule: "type", Message: msg}}
		}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		detail = "malformed JSON: unexpected end of data"
	default:
		detail = strings.TrimPrefix(err.Error(), "json: ")
	}
	return &Error{Class: ClassInvalidInput, Err: fmt.Errorf("decoding %s: %w", name.goType, err), Detail: detail, Fields: fields}
}

// jsonKind names a Go type in JSON terms for error messages.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a value"
}

// encodeData encodes v for a reply according to kind, returning the data and
// its content type.
func encodeData[T any](v T, kind valueKind) ([]byte, string, error) {
	switch kind {
	case kindBytes:
		return *any(&v).(*[]byte), contentTypeBinary, nil
	case kindRaw:
		return *any(&v).(*json.RawMessage), contentTypeJSON, nil
	case kindString:
		return []byte(*any(&v).(*string)), contentTypeText, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, "", fmt.Errorf("handler: encoding reply: %w", err)
	}
	return b, contentTypeJSON, nil
}
