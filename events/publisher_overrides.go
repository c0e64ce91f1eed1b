package events

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"
)

// Overrides are CloudEvents attributes to set on every event a source
// emits, as Knative's SinkBinding gives them in K_CE_OVERRIDES:
// {"extensions":{"name":"value",…}}.
type Overrides struct {
	// Extensions are set on each event, replacing values it has.
	Extensions map[string]string `json:"extensions,omitempty"`
}

// ParseOverrides decodes the JSON of K_CE_OVERRIDES. An empty string gives
// no overrides. It fails, naming the fault, on malformed JSON, unknown
// members, and extension names that are not valid CloudEvents attribute
// names (lower-case letters and digits) or that name a required or
// optional context attribute.
func ParseOverrides(s string) (Overrides, error) {
	var o Overrides
	if strings.TrimSpace(s) == "" {
		return o, nil
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		return Overrides{}, fmt.Errorf("events: K_CE_OVERRIDES: %w", err)
	}
	if dec.More() {
		return Overrides{}, fmt.Errorf("events: K_CE_OVERRIDES: trailing data after the JSON object")
	}
	for _, name := range slices.Sorted(maps.Keys(o.Extensions)) {
		if !validAttributeName(name) {
			return Overrides{}, fmt.Errorf("events: K_CE_OVERRIDES: extension %q: names must be lower-case letters and digits", name)
		}
		if contextAttribute(name) {
			return Overrides{}, fmt.Errorf("events: K_CE_OVERRIDES: extension %q names a context attribute", name)
		}
	}
	return o, nil
}

// Empty reports whether o sets nothing.
func (o Overrides) Empty() bool { return len(o.Extensions) == 0 }

// Apply sets o's extensions on e, which must have a context. To change a
// copy only, Apply to e.Clone().
func (o Overrides) Apply(e *event.Event) {
	for k, v := range o.Extensions {
		e.SetExtension(k, v)
	}
}

// validAttributeName reports whether name is a CloudEvents attribute name:
// one or more lower-case ASCII letters and digits.
func validAttributeName(name string) bool {
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

func contextAttribute(name string) bool {
	switch name {
	case "specversion", "id", "source", "type", "subject", "time", "dataschema", "datacontenttype", "data", "data_base64":
		return true
	}
	return false
}
