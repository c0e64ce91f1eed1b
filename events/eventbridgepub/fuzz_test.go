package eventbridgepub_test

import (
	"encoding/json"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/events/eventbridgepub"
	"github.com/fnkit/fnkit/events/publishertest"
	"github.com/fnkit/fnkit/handler"
)

type nopAPI struct{ eventbridgepub.API }

// FuzzEntry maps arbitrary events to PutEvents entries: never a panic,
// refusals are permanent or invalid input, the size is EventBridge's
// count, and the detail decodes to the very same event.
func FuzzEntry(f *testing.F) {
	f.Add("id-1", "com.example.orders", "com.example.t", "arn:aws:s3:::b/k", "tenant", "acme", "application/json", []byte(`{"a":1}`))
	f.Add("x", "aws.s3", "t", "", "", "", "text/plain", []byte("\xff\x00"))
	p, _ := eventbridgepub.New(nopAPI{}, "")
	f.Fuzz(func(t *testing.T, id, source, typ, subject, extName, extValue, ct string, data []byte) {
		e := event.New()
		e.SetID(id)
		e.SetSource(source)
		e.SetType(typ)
		if subject != "" {
			e.SetSubject(subject)
		}
		if extName != "" && e.Context.SetExtension(extName, extValue) != nil {
			return
		}
		if len(data) > 0 {
			_ = e.SetData(ct, data)
		}
		entry, size, err := p.Entry(&e)
		if err != nil {
			if c := handler.ClassOf(err); c != handler.ClassPermanent && c != handler.ClassInvalidInput {
				t.Fatalf("error of class %v: %v", c, err)
			}
			return
		}
		if events.CheckEvent(&e) != nil {
			t.Fatal("an invalid event was mapped")
		}
		n := len(*entry.Source) + len(*entry.DetailType) + len(*entry.Detail)
		if entry.Time != nil {
			n += 14
		}
		for _, r := range entry.Resources {
			n += len(r)
		}
		if n != size || size > eventbridgepub.MaxEntrySize {
			t.Fatalf("size %d, counted %d", size, n)
		}
		var back event.Event
		if err := json.Unmarshal([]byte(*entry.Detail), &back); err != nil {
			t.Fatalf("detail does not decode: %v\n%s", err, *entry.Detail)
		}
		if !publishertest.Equal(back, e) {
			t.Fatalf("detail changed the event:\n got %v\nwant %v", back, e)
		}
	})
}
