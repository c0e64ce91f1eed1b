package httpserver

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// freshGrace is how long, once the listener has closed, a connection that
// has not sent a request yet may still start one. A client that dialed to
// send a request sends it at once; one still silent after this is a
// pre-opened connection (proxies and clients open them ahead), which holds
// no request.
const freshGrace = 250 * time.Millisecond

// drain holds the shutdown state and counters of one Serve.
type drain struct {
	draining atomic.Bool
	inflight atomic.Int64 // requests in the handler now
	served   atomic.Int64 // requests that began after draining started
	closed   atomic.Int64 // connections closed after draining started

	mu    sync.Mutex
	conns map[net.Conn]connState
}

// connState is a connection's state and when it entered it.
type connState struct {
	state http.ConnState
	since time.Time
}

// wrap counts requests, answers the health path (when not empty) and,
// while draining, asks every client to close its connection.
func (d *drain) wrap(next http.Handler, healthPath string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.inflight.Add(1)
		defer d.inflight.Add(-1)
		draining := d.draining.Load()
		if draining {
			d.served.Add(1)
			// net/http closes the connection after a response that says so.
			w.Header().Set("Connection", "close")
		}
		if healthPath != "" && r.URL.Path == healthPath {
			serveHealth(w, r, draining)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// trackConns installs a ConnState hook on srv (keeping any it had) that
// tracks the state of every connection and counts closed ones.
func (d *drain) trackConns(srv *http.Server) {
	d.conns = map[net.Conn]connState{}
	prev := srv.ConnState
	srv.ConnState = func(c net.Conn, st http.ConnState) {
		d.mu.Lock()
		switch st {
		case http.StateClosed, http.StateHijacked:
			delete(d.conns, c)
		default:
			d.conns[c] = connState{st, time.Now()}
		}
		d.mu.Unlock()
		if (st == http.StateClosed || st == http.StateHijacked) && d.draining.Load() {
			d.closed.Add(1)
		}
		if prev != nil {
			prev(c, st)
		}
	}
}

// waitQuiet waits until no connection is new or active — every request
// that reached the server has been answered, and with "Connection: close"
// its connection closed — closing connections silent for freshGrace. It
// reports false if ctx ended first. Only then may net/http's Shutdown run:
// it drops, unanswered, any request it reads once it has begun.
func (d *drain) waitQuiet(ctx context.Context) bool {
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		busy := 0
		now := time.Now()
		d.mu.Lock()
		for c, cs := range d.conns {
			switch {
			case cs.state == http.StateNew && now.Sub(cs.since) >= freshGrace:
				_ = c.Close()
				delete(d.conns, c)
			case cs.state != http.StateIdle:
				busy++
			}
		}
		d.mu.Unlock()
		if busy == 0 {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
}

// shutdown drains srv as Serve documents. errc receives srv.Serve's result.
func (d *drain) shutdown(ctx context.Context, srv *http.Server, ln *drainListener, errc <-chan error, cfg *serverConfig) error {
	start := time.Now()
	d.draining.Store(true)
	log := cfg.logger
	log.LogAttrs(ctx, slog.LevelInfo, "draining",
		slog.Duration("drain_delay", cfg.drainDelay), slog.Duration("grace", cfg.grace))

	forced := false
	if cfg.drainDelay > 0 {
		t := time.NewTimer(cfg.drainDelay)
		select {
		case <-t.C:
		case <-cfg.stopNow:
			forced = true
		}
		t.Stop()
	}
	grace := cfg.grace
	if forced {
		grace = 0
	}
	sctx, cancel := context.WithTimeout(ctx, grace)
	defer cancel()
	if !forced && cfg.stopNow != nil {
		go func() {
			select {
			case <-cfg.stopNow:
				cancel()
			case <-sctx.Done():
			}
		}()
	}
	// Take what the kernel has queued, then close the listener; net/http
	// serves the swept connections before its Serve returns.
	swept := ln.closeAccepting()
	<-errc
	d.waitQuiet(sctx)
	// Closes the idle connections and returns at once when quiet.
	err := srv.Shutdown(sctx)
	for _, c := range ln.pendingConns() {
		_ = c.Close()
	}
	cut := int64(0)
	if err != nil {
		// The grace period ended (or a second signal came): close what
		// is left. Only requests still in a handler are cut off; idle or
		// silent connections are not a failure.
		cut = d.inflight.Load()
		_ = srv.Close()
		if cut == 0 {
			err = nil
		}
	}
	level := slog.LevelInfo
	if cut > 0 {
		level = slog.LevelError
	}
	log.LogAttrs(ctx, level, "drained",
		slog.Duration("duration", time.Since(start)),
		slog.Int64("served_during_drain", d.served.Load()),
		slog.Int64("connections_closed", d.closed.Load()),
		slog.Int("swept_from_queue", swept),
		slog.Int64("cut_off", cut))
	if err != nil {
		return fmt.Errorf("%w: %d requests cut off: %w", ErrShutdownTimeout, cut, err)
	}
	return nil
}
