package sqspub_test

import (
	"errors"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/events/sqspub"
	"github.com/fnkit/fnkit/handler"
)

// FuzzKeys derives FIFO group and deduplication ids from arbitrary
// events: the defaults always give an id SQS accepts, and CheckKey
// refuses exactly what SQS would (1 to 128 characters of ASCII letters,
// digits and punctuation).
func FuzzKeys(f *testing.F) {
	f.Add("id-1", "/orders", "customer-7")
	f.Add("id with space", "https://example.com/a b?é", "")
	f.Add("x", "s", "\x7f\x00")
	f.Fuzz(func(t *testing.T, id, source, partition string) {
		e := event.New()
		e.SetID(id)
		e.SetSource(source)
		if partition != "" {
			_ = e.Context.SetExtension("partitionkey", partition)
		}
		for _, k := range []string{sqspub.DefaultGroupID(&e), sqspub.DefaultDeduplicationID(&e)} {
			if err := sqspub.CheckKey("id", k, false); err != nil {
				t.Fatalf("default id %q refused: %v", k, err)
			}
		}
		err := sqspub.CheckKey("id", partition, false)
		valid := len(partition) >= 1 && len(partition) <= 128
		for i := 0; i < len(partition); i++ {
			if partition[i] < 0x21 || partition[i] > 0x7e {
				valid = false
			}
		}
		if valid != (err == nil) {
			t.Fatalf("CheckKey(%q) = %v, valid %v", partition, err, valid)
		}
		if err != nil && (!errors.Is(err, sqspub.ErrInvalidKey) || handler.ClassOf(err) != handler.ClassPermanent) {
			t.Fatalf("CheckKey error %v", err)
		}
	})
}
