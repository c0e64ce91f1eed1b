package nightly

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fnkit/fnkit/handler"
)

// FuzzCloudSchedulerDecoder: any headers and body give an event that
// validates, a clear invalid-input error, or "not mine" — never a panic;
// an accepted tick carries the job name in its id and source and the
// schedule time as its time.
func FuzzCloudSchedulerDecoder(f *testing.F) {
	f.Add("true", "nightly-expiry", "2026-03-14T03:00:00Z", []byte(`{}`))
	f.Add("true", "projects/acme/locations/europe-west1/jobs/nightly", "2026-03-14T03:00:00.123+01:00", []byte(nil))
	f.Add("false", "x", "2026-03-14T03:00:00Z", []byte(`{}`))
	f.Add("true", "", "2026-03-14T03:00:00Z", []byte(`{}`))
	f.Add("true", "bad name", "soon", []byte(`{}`))
	f.Fuzz(func(t *testing.T, marker, job, at string, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		for k, v := range map[string]string{HeaderCloudScheduler: marker, HeaderJobName: job, HeaderScheduleTime: at} {
			if strings.ContainsAny(v, "\r\n\x00") {
				return // not a header value net/http would deliver
			}
			r.Header.Set(k, v)
		}
		e, _, ok, err := CloudSchedulerDecoder(r, body)
		switch {
		case !ok:
			if err != nil {
				t.Fatalf("not mine, yet an error: %v", err)
			}
		case err != nil:
			if handler.ClassOf(err) != handler.ClassInvalidInput {
				t.Fatalf("error of class %v: %v", handler.ClassOf(err), err)
			}
		default:
			if verr := e.Validate(); verr != nil {
				t.Fatalf("invalid event: %v", verr)
			}
			want, perr := time.Parse(time.RFC3339Nano, at)
			if perr != nil || !e.Time().Equal(want) || !strings.HasPrefix(e.ID(), job+"@") || !strings.HasSuffix(e.Source(), strings.TrimPrefix(job, "/")) {
				t.Fatalf("tick %s from job %q at %q", e, job, at)
			}
			if string(e.Data()) != string(body) {
				t.Fatalf("data %q, want %q", e.Data(), body)
			}
		}
	})
}
