package nightly

import (
	"net/http"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
)

// Cloud Scheduler's headers on an HTTP target.
const (
	HeaderCloudScheduler = "X-CloudScheduler"
	HeaderJobName        = "X-CloudScheduler-JobName"
	HeaderScheduleTime   = "X-CloudScheduler-ScheduleTime"
)

// CloudSchedulerSource prefixes the source of a Cloud Scheduler tick,
// followed by the job's name.
const CloudSchedulerSource = "//cloudscheduler.googleapis.com/"

// CloudSchedulerDecoder is an httpserver.PlainDecoder for Cloud
// Scheduler's HTTP target: a plain POST with X-CloudScheduler: true
// becomes a TypeTick event whose id is the job name and the scheduled time
// (the same for every retry of one scheduled run), whose source is
// CloudSchedulerSource + the job name, whose time is the scheduled time,
// and whose data is the body. Other requests are left to the plain
// mapping. A missing or malformed job name or schedule time is invalid
// input, named.
func CloudSchedulerDecoder(r *http.Request, body []byte) (event.Event, int, bool, error) {
	if !strings.EqualFold(r.Header.Get(HeaderCloudScheduler), "true") {
		return event.Event{}, 0, false, nil
	}
	job := r.Header.Get(HeaderJobName)
	if job == "" {
		return event.Event{}, 0, true, handler.InvalidInputf("header %s is missing", HeaderJobName)
	}
	if len(job) > 500 || strings.IndexFunc(job, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_./", c))
	}) >= 0 {
		return event.Event{}, 0, true, handler.InvalidInputf("header %s %q is not a job name (letters, digits, - _ . / and at most 500 bytes)", HeaderJobName, clip(job))
	}
	raw := r.Header.Get(HeaderScheduleTime)
	if raw == "" {
		return event.Event{}, 0, true, handler.InvalidInputf("header %s is missing", HeaderScheduleTime)
	}
	at, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		return event.Event{}, 0, true, handler.InvalidInputf("header %s %q is not an RFC 3339 time", HeaderScheduleTime, clip(raw))
	}
	at = at.UTC()
	e := event.New()
	e.SetID(job + "@" + at.Format(time.RFC3339Nano))
	e.SetSource(CloudSchedulerSource + strings.TrimPrefix(job, "/"))
	e.SetType(TypeTick)
	e.SetTime(at)
	if len(body) > 0 {
		ct := r.Header.Get("Content-Type")
		if ct == "" {
			ct = "application/octet-stream"
		}
		e.SetDataContentType(ct)
		e.DataEncoded = body
	}
	return e, 0, true, nil
}

// clip shortens a header value quoted in an error.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
