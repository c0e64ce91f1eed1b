package httpserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/fnkit/fnkit/internal/ceheader"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
)

// errBadReply reports a reply that is not a valid CloudEvent: a bug in the
// handler, answered with 500.
var errBadReply = errors.New("httpserver: handler returned an invalid reply")

// contextV1 returns a reply's attributes, checking the required ones.
func contextV1(reply *event.Event) (*event.EventContextV1, error) {
	if reply.Context == nil {
		return nil, fmt.Errorf("%w: no context", errBadReply)
	}
	ec, ok := reply.Context.(*event.EventContextV1)
	if !ok {
		ec = reply.Context.AsV1()
	}
	if ec.ID == "" || ec.Type == "" || ec.Source.URL == (types.URIRef{}).URL {
		return nil, fmt.Errorf("%w: id, source and type are required (got %q, %q, %q)", errBadReply, ec.ID, ec.Source.String(), ec.Type)
	}
	return ec, nil
}

// writeBinary writes reply in binary mode: attributes in ce-* headers, data
// in the body. in is the request's event, whose source string is reused when
// the reply keeps the request's source.
func writeBinary(w http.ResponseWriter, reply *event.Event, in *inbound) error {
	ec, err := contextV1(reply)
	if err != nil {
		return err
	}
	n := 5
	if ec.DataContentType != nil {
		n++
	}
	if ec.Subject != nil {
		n++
	}
	if ec.Time != nil {
		n++
	}
	if ec.DataSchema != nil {
		n++
	}
	n += len(ec.Extensions)
	// One backing array for every header value: one allocation, not n.
	vals := make([]string, n)
	h := w.Header()
	i := 0
	set := func(key, v string) {
		vals[i] = v
		h[key] = vals[i : i+1 : i+1]
		i++
	}
	source := ""
	if in != nil && in.source != "" && ec.Source.URL == in.ec.Source.URL {
		source = in.source
	} else {
		source = ec.Source.String()
	}
	set(hdrSpecVersion, event.CloudEventsVersionV1)
	set(hdrID, ceheader.Escape(ec.ID))
	set(hdrSource, ceheader.Escape(source))
	set(hdrType, ceheader.Escape(ec.Type))
	set("X-Content-Type-Options", "nosniff")
	if ec.DataContentType != nil {
		set("Content-Type", *ec.DataContentType)
	} else {
		// The event has no content type: send none, and do not let
		// net/http sniff one from the data (binding §3.1.1).
		h["Content-Type"] = nil
	}
	if ec.Subject != nil {
		set(hdrSubject, ceheader.Escape(*ec.Subject))
	}
	if ec.Time != nil {
		set(hdrTime, types.FormatTime(ec.Time.Time))
	}
	if ec.DataSchema != nil {
		set(hdrDataSchema, ceheader.Escape(ec.DataSchema.String()))
	}
	for name, v := range ec.Extensions {
		s, err := types.Format(v)
		if err != nil {
			return fmt.Errorf("%w: extension %s: %w", errBadReply, name, err)
		}
		set(extensionHeader(name), ceheader.Escape(s))
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(reply.DataEncoded)
	return nil
}

// extensionHeader returns the canonical header key of an extension.
func extensionHeader(name string) string {
	if name == "" {
		return "Ce-"
	}
	c := name[0]
	if 'a' <= c && c <= 'z' {
		c -= 'a' - 'A'
	}
	return "Ce-" + string(c) + name[1:]
}

// writeStructured writes reply as application/cloudevents+json.
func writeStructured(w http.ResponseWriter, reply *event.Event) error {
	if _, err := contextV1(reply); err != nil {
		return err
	}
	body, err := json.Marshal(reply)
	if err != nil {
		return fmt.Errorf("%w: %w", errBadReply, err)
	}
	w.Header().Set("Content-Type", mediaStructured)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	return nil
}
