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
	"syscall"
	"time"

	"github.com/fnkit/fnkit/handler"
)

// Server defaults, chosen to fit the platforms' shutdown windows: Cloud
// Run sends SIGKILL 10 s after SIGTERM, Kubernetes (and so Knative) 30 s
// by default, ECS 30 s, Azure Container Apps 30 s. A drain delay of 3 s
// lets load balancers and platform routers see the 503 health answer and
// stop sending new connections; a grace period of 6 s then lets requests
// in flight finish: 9 s in all, inside the shortest of those windows.
const (
	DefaultDrainDelay        = 3 * time.Second
	DefaultGracePeriod       = 6 * time.Second
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 60 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	DefaultHealthPath        = "/healthz"
)

// Environment variables read by ServerOptionsFromEnv.
const (
	EnvDrainDelay  = "FNKIT_DRAIN_DELAY"
	EnvGracePeriod = "FNKIT_GRACE_PERIOD"
)

// ServerOption configures Serve and ListenAndServe.
type ServerOption func(*serverConfig)

type serverConfig struct {
	drainDelay time.Duration
	grace      time.Duration
	healthPath string
	logger     *slog.Logger
	accessLog  bool
	tune       []func(*http.Server)
	stopNow    <-chan struct{}
}

func newServerConfig(opts []ServerOption) serverConfig {
	c := serverConfig{drainDelay: DefaultDrainDelay, grace: DefaultGracePeriod, healthPath: DefaultHealthPath, accessLog: true}
	for _, o := range opts {
		o(&c)
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	return c
}

// WithDrainDelay sets how long the server keeps accepting connections
// after shutdown begins, answering health checks with 503 and every
// response with "Connection: close", so that load balancers and clients
// move to other instances before the listener closes. Zero closes the
// listener at once. The default is DefaultDrainDelay.
//
// It panics if d is negative.
func WithDrainDelay(d time.Duration) ServerOption {
	if d < 0 {
		panic("httpserver: negative drain delay")
	}
	return func(c *serverConfig) { c.drainDelay = d }
}

// WithGracePeriod sets how long requests in flight may still run once the
// listener has closed (after the drain delay); requests still running then
// are cut off. Zero cuts them off at once. The default is
// DefaultGracePeriod.
//
// It panics if d is negative.
func WithGracePeriod(d time.Duration) ServerOption {
	if d < 0 {
		panic("httpserver: negative grace period")
	}
	return func(c *serverConfig) { c.grace = d }
}

// WithStopNow makes Serve skip what remains of the drain delay and the
// grace period when stop is closed (or receives), cutting off requests
// still in flight. ListenAndServe uses it for a second SIGTERM or SIGINT
// (Ctrl-C twice on a laptop).
func WithStopNow(stop <-chan struct{}) ServerOption {
	return func(c *serverConfig) { c.stopNow = stop }
}

// ServerOptionsFromEnv returns the options set by the environment:
// EnvDrainDelay and EnvGracePeriod, each a Go duration ("3s", "500ms",
// "0"). Unset variables give no option. A function's main (or a runtime
// selector) calls it and passes the options on before its own, which win.
func ServerOptionsFromEnv() ([]ServerOption, error) {
	var opts []ServerOption
	for _, v := range [...]struct {
		name string
		opt  func(time.Duration) ServerOption
	}{{EnvDrainDelay, WithDrainDelay}, {EnvGracePeriod, WithGracePeriod}} {
		s, ok := os.LookupEnv(v.name)
		if !ok || s == "" {
			continue
		}
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("httpserver: %s=%q is not a non-negative duration such as \"3s\"", v.name, s)
		}
		opts = append(opts, v.opt(d))
	}
	return opts, nil
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
// Handler, BaseContext and ConnState itself (a ConnState set by tune is
// still called).
func WithHTTPServer(tune func(*http.Server)) ServerOption {
	return func(c *serverConfig) { c.tune = append(c.tune, tune) }
}

// ListenAndServe listens on the TCP address addr (":8080") and serves h
// like Serve until ctx is done or the process receives SIGTERM or SIGINT;
// a second signal stops it at once (see WithStopNow). It is meant for a
// function's main.
func ListenAndServe(ctx context.Context, addr string, h http.Handler, opts ...ServerOption) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("httpserver: %w", err)
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, os.Interrupt)
	defer signal.Stop(sigs)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopNow, served := make(chan struct{}), make(chan struct{})
	defer close(served)
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-ctx.Done():
		case <-served:
			return
		}
		select {
		case <-sigs:
			close(stopNow)
		case <-served:
		}
	}()
	return Serve(ctx, ln, h, append(opts, WithStopNow(stopNow))...)
}

// ErrShutdownTimeout is returned by Serve when requests were still running
// at the end of the grace period and had to be cut off.
var ErrShutdownTimeout = errors.New("httpserver: grace period ended with requests in flight")

// Serve serves h on ln with production defaults (read-header, read and
// idle timeouts, a health endpoint, one access-log line per request) until
// ctx is done. Then it drains, lame-duck style, so that no request a
// client has sent is lost:
//
//  1. for the drain delay (WithDrainDelay) it keeps accepting connections
//     and serving requests, but answers the health endpoint with 503 and
//     every response with "Connection: close", so that each client moves
//     off this instance after its current request;
//  2. then it closes the listener and the connections that are idle, and
//     waits for the requests still in flight, within the grace period
//     (WithGracePeriod);
//  3. it returns nil — or ErrShutdownTimeout if it had to cut requests off.
//
// Connections idle when draining starts are not closed before the drain
// delay ends: a client may be sending a request on them at that very
// moment, and it gets its answer (with "Connection: close"). The access
// log records the start and the end of the drain with counts. Serve
// returns other errors if serving fails. Serve closes ln.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, opts ...ServerOption) error {
	cfg := newServerConfig(opts)
	d := &drain{}
	handler := d.wrap(h, cfg.healthPath)
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
	d.trackConns(srv)
	// Requests keep their own context: cancelling ctx starts the shutdown
	// but must not cancel requests in flight.
	srv.BaseContext = func(net.Listener) context.Context { return context.WithoutCancel(ctx) }

	dl := &drainListener{Listener: ln}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(dl) }()
	cfg.logger.LogAttrs(ctx, slog.LevelInfo, "serving", slog.String("addr", ln.Addr().String()))

	select {
	case err := <-errc:
		return fmt.Errorf("httpserver: %w", err)
	case <-ctx.Done():
	}
	return d.shutdown(context.WithoutCancel(ctx), srv, dl, errc, &cfg)
}

// serveHealth answers a health check: 200 while serving, 503 while draining.
func serveHealth(w http.ResponseWriter, r *http.Request, draining bool) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	if draining {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// statusRecorder remembers the status and size of a response.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	log    handler.AccessLog // claimed by middleware.Logging
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

// accessLogOf returns the access-log line of the response w writes, nil
// when the access log is off.
func accessLogOf(w http.ResponseWriter) *handler.AccessLog {
	for {
		switch t := w.(type) {
		case *statusRecorder:
			return &t.log
		case interface{ Unwrap() http.ResponseWriter }:
			w = t.Unwrap()
		default:
			return nil
		}
	}
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
		rec.log.Method, rec.log.Path = r.Method, r.URL.Path
		next.ServeHTTP(rec, r)
		if rec.log.Claimed() {
			return // the invocation's own line (middleware.Logging) stands for it
		}
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
