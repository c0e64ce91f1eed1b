// Command scheduled-job is a nightly job over a state.Store: it expires
// the orders left unpaid for longer than MaxAge. It keeps its own view of
// the orders from order.placed and order.paid events, and runs on a
// schedule:
//
//	AWS Lambda       an EventBridge schedule ("Scheduled Event", source aws.events)
//	Cloud Functions  Cloud Scheduler publishing to a Pub/Sub topic (messagePublished)
//	Knative          a PingSource (dev.knative.sources.ping)
//	Cloud Run, local Cloud Scheduler's HTTP POST (X-CloudScheduler headers), or any
//	                 plain POST for a manual run
//
// The same binary runs on each: main picks the adapter from the
// environment (adapters/platform).
//
// The job itself is package nightly (./nightly); this file only wires:
// the store, the default stack and idempotency, the adapter, the logger.
package main

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/fnkit/fnkit/examples/scheduled-job/nightly"

	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/adapters/knative"
	"github.com/fnkit/fnkit/adapters/platform"
	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/idempotency"
	"github.com/fnkit/fnkit/middleware"
	"github.com/fnkit/fnkit/state"
	"github.com/fnkit/fnkit/state/boltstore"
	"github.com/fnkit/fnkit/state/memstore"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := run(context.Background(), os.Getenv, logger); err != nil {
		logger.Error("scheduled-job", "error", err)
		os.Exit(1)
	}
}

// newHandler is the job behind the middleware default stack and the
// idempotency middleware: a redelivered tick (same source and id) gets the
// report of its first run and does not run again; a plain POST without an
// Idempotency-Key (a manual run) runs each time.
func newHandler(store state.Store, job *nightly.Job, logger *slog.Logger) handler.Handler {
	return handler.Chain(
		middleware.DefaultStack(middleware.WithLogger(logger)),
		middleware.Idempotency(store, idempotency.WithScope("scheduled-job"), idempotency.WithExpiry(7*24*time.Hour),
			idempotency.WithPassThroughWithoutKey()),
	)(job.Handler())
}

// httpOptions make Cloud Scheduler's HTTP POSTs ticks, and other plain
// POSTs manual runs.
func httpOptions() []httpserver.Option {
	return []httpserver.Option{httpserver.WithPlainDecoder(nightly.CloudSchedulerDecoder), httpserver.WithPlainType(nightly.TypeTick)}
}

// run wires the job from the environment and serves it with platform.Run:
//
//	JOB_STORE    bolt (default: an embedded file, JOB_BOLT_PATH, default
//	             $TMPDIR/fnkit-scheduled-job.db) or memory
//	JOB_MAX_AGE  how long an order may stay unpaid (default 48h)
func run(ctx context.Context, getenv func(string) string, logger *slog.Logger) error {
	maxAge := nightly.DefaultMaxAge
	if v := getenv("JOB_MAX_AGE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("scheduled-job: JOB_MAX_AGE=%q: want a positive duration such as 48h", v)
		}
		maxAge = d
	}
	var store state.Store
	switch kind := cmp.Or(getenv("JOB_STORE"), "bolt"); kind {
	case "bolt":
		path := cmp.Or(getenv("JOB_BOLT_PATH"), filepath.Join(os.TempDir(), "fnkit-scheduled-job.db"))
		s, err := boltstore.Open(path, boltstore.WithSweepInterval(time.Hour))
		if err != nil {
			return fmt.Errorf("scheduled-job: opening %s: %w", path, err)
		}
		defer s.Close()
		store = s
	case "memory":
		store = memstore.New()
	default:
		return fmt.Errorf("scheduled-job: unknown JOB_STORE %q (want bolt or memory)", kind)
	}
	h := newHandler(store, nightly.NewJob(store, maxAge, time.Now), logger)
	return platform.Run(ctx, h, platform.WithLogger(logger),
		platform.WithHTTPOptions(httpOptions()...),
		platform.WithKnativeOptions(knative.WithHTTPOptions(append(httpOptions(), httpserver.WithLogger(logger))...)))
}
