package httpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Server defaults.
const (
	DefaultGracePeriod       = 10 * time.Second
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 60 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	DefaultHealthPath        = "/healthz"
)

// ServerOption configures Serve and ListenAndServe.
type ServerOption func(*serverConfig)

type serverConfig struct {
	grace      time.Duration
	healthPath string
	logger     *slog.Logger
	accessLog  bool
	tune       []func(*http.Server)
}

func newServerConfig(opts []ServerOption) serverConfig {
	c := serverConfig{grace: DefaultGracePeriod, healthPath: DefaultHealthPath, accessLog: true}
	for _, o := range opts {
		o(&c)
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	return c
}

// WithGracePeriod sets how long in-flight requests may run after shutdown
// begins; the default is DefaultGracePeriod.
func WithGracePeriod(d time.Duration) ServerOption {
	if d < 0 {
		panic("httpserver: negative grace period")
	}
	return func(c *serverConfig) { c.grace = d }
}

// WithHealthPath sets the path of the health endpoint, which answers GET
// and HEAD with 200 "ok" while serving and 503 while shutting down. An
// empty path turns it off. The default is DefaultHealthPath.
func WithHealthPath(path string) ServerOption {
	return func(c *serverConfig) { c.healthPath = path }
}

// WithServerLogger sets the logger of the access log and of server
// messages. The default is slog.Default().
func WithServerLogger(l *slog.Logger) ServerOption {
	if l == nil {
		panic("httpserver: WithServerLogger(nil)")
	}
	return func(c *serverConfig) { c.logger = l }
}

// WithoutAccessLog turns the access log off.
func WithoutAccessLog() ServerOption {
	return func(c *serverConfig) { c.accessLog = false }
}

// WithHTTPServer lets tune change the http.Server before it serves, for
// settings this package has no option for (TLS, other timeouts). Serve sets
// Handler and BaseContext itself.
func WithHTTPServer(tune func(*http.Server)) ServerOption {
	return func(c *serverConfig) { c.tune = append(c.tune, tune) }
}

// ListenAndServe listens on the TCP address addr (":8080") and serves h
// like Serve until ctx is done or the process receives SIGTERM or SIGINT,
// then shuts down gracefully. It is meant for a function's main.
func ListenAndServe(ctx context.Context, addr string, h http.Handler, opts ...ServerOption) error {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stop()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("httpserver: %w", err)
	}
	return Serve(ctx, ln, h, opts...)
}

// ErrShutdownTimeout is returned by Serve when requests were still running
// at the end of the grace period and had to be cut off.
var ErrShutdownTimeout = errors.New("httpserver: grace period ended with requests in flight")

// Serve serves h on ln with production defaults (read-header, read and
// idle timeouts, a health endpoint, one access-log line per request) until
// ctx is done. Then it stops accepting connections, lets in-flight requests
// finish within the grace period, and returns nil — or ErrShutdownTimeout
// if it had to cut requests off. It returns other errors if serving fails.
// Serve closes ln.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, opts ...ServerOption) error {
	cfg := newServerConfig(opts)
	var draining atomic.Bool
	handler := h
	if cfg.healthPath != "" {
		handler = withHealth(handler, cfg.healthPath, &draining)
	}
	if cfg.accessLog {
		handler = withAccessLog(handler, cfg.logger)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: DefaultReadHeaderTimeout,
		ReadTimeout:       DefaultReadTimeout,
		IdleTimeout:       DefaultIdleTimeout,
		ErrorLog:          slog.NewLogLogger(cfg.logger.Handler(), slog.LevelWarn),
	}
	for _, tune := range cfg.tune {
		tune(srv)
	}
	srv.Handler = handler
	fresh := trackFresh(srv)
	// Requests keep their own context: cancelling ctx starts the shutdown
	// but must not cancel requests in flight.
	srv.BaseContext = func(net.Listener) context.Context { return context.WithoutCancel(ctx) }

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	cfg.logger.LogAttrs(ctx, slog.LevelInfo, "serving", slog.String("addr", ln.Addr().String()))

	select {
	case err := <-errc:
		return fmt.Errorf("httpserver: %w", err)
	case <-ctx.Done():
	}
	draining.Store(true)
	cfg.logger.LogAttrs(context.WithoutCancel(ctx), slog.LevelInfo, "shutting down", slog.Duration("grace", cfg.grace))
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.grace)
	defer cancel()
	// net/http waits 5 s before it treats a connection that has not sent
	// a request yet as idle; such connections (clients and proxies open
	// them ahead) hold no request, so close them now.
	go fresh.closeAfter(sctx, freshGrace)
	err := srv.Shutdown(sctx)
	<-errc // Serve returns ErrServerClosed at once after Shutdown begins.
	if err != nil {
		_ = srv.Close()
		return fmt.Errorf("%w: %w", ErrShutdownTimeout, err)
	}
	return nil
}

// withHealth answers the health path itself and passes everything else on.
func withHealth(next http.Handler, path string, draining *atomic.Bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			next.ServeHTTP(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		if draining.Load() {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
}

// statusRecorder remembers the status and size of a response.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// withAccessLog logs one line per request: method, path (never the query,
// which may carry secrets), status, bytes, duration, and the event id and
// type of binary-mode requests. Bodies and other headers are never logged.
func withAccessLog(next http.Handler, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !logger.Enabled(r.Context(), slog.LevelInfo) {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		attrs := [...]slog.Attr{
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", rec.status),
			slog.Int64("bytes", rec.bytes),
			slog.Duration("duration", time.Since(start)),
			slog.String("remote", r.RemoteAddr),
			slog.String("ce_id", headerValue(r.Header, hdrID)),
			slog.String("ce_type", headerValue(r.Header, hdrType)),
		}
		logger.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs[:]...)
	})
}

// freshGrace is how long a connection that has sent nothing may still
// start a request once shutdown begins.
const freshGrace = 200 * time.Millisecond

// freshConns tracks connections that have not sent a request yet.
type freshConns struct {
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// trackFresh installs a ConnState hook on srv (keeping any it had) that
// tracks its fresh connections.
func trackFresh(srv *http.Server) *freshConns {
	f := &freshConns{conns: map[net.Conn]struct{}{}}
	prev := srv.ConnState
	srv.ConnState = func(c net.Conn, st http.ConnState) {
		f.mu.Lock()
		if st == http.StateNew {
			f.conns[c] = struct{}{}
		} else {
			delete(f.conns, c)
		}
		f.mu.Unlock()
		if prev != nil {
			prev(c, st)
		}
	}
	return f
}

// closeAfter closes, after d, the connections still fresh.
func (f *freshConns) closeAfter(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
		return
	case <-time.After(d):
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for c := range f.conns {
		_ = c.Close()
		delete(f.conns, c)
	}
}
