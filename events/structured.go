package events

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/cloudevents/sdk-go/v2/event"
)

// StructuredJSON encodes e in CloudEvents structured mode (JSON), as the
// bus publishers put it on the wire: data is
// written as JSON when the content type is JSON and the bytes are valid
// JSON without surrounding space (whatever DataBase64 says: receivers get
// the same bytes, and rules and filters can read them), as a string when
// it is text that is valid UTF-8, and as data_base64 otherwise (a JSON
// content type spelled with capitals included, which the CloudEvents
// SDK's reader would not take for JSON), so that every byte survives the
// trip.
func StructuredJSON(e *event.Event) ([]byte, error) {
	out := event.Event{Context: e.Context, DataEncoded: e.DataEncoded}
	if d := e.DataEncoded; len(d) > 0 {
		switch mt := e.DataMediaType(); {
		case isJSON(mt) && mt != strings.ToLower(mt):
			// JSON spelled in capitals: the SDK writes it as a JSON value
			// but its reader then wants a string (it compares the type
			// without folding case), so only base64 reaches every
			// receiver intact.
			out.DataBase64 = true
		case isJSON(mt):
			out.DataBase64 = isSpace(d[0]) || isSpace(d[len(d)-1]) || !json.Valid(d)
		default:
			out.DataBase64 = !utf8.Valid(d)
		}
	}
	return out.MarshalJSON()
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// isJSON reports whether the media type mt is JSON as the CloudEvents
// SDK decides it when it writes and reads structured mode: empty (JSON by
// default), application/json, text/json and the CloudEvents JSON types.
func isJSON(mt string) bool {
	switch strings.ToLower(mt) {
	case "", "application/json", "text/json", "application/cloudevents+json", "application/cloudevents-batch+json":
		return true
	}
	return false
}
