package azurefunctions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/handler"
)

// Platform is the name in handler.Invocation.Platform of invocations
// served by this adapter.
const Platform = handler.PlatformAzureFunctions

// EnvPort is the variable in which the Functions host gives the port.
const EnvPort = "FUNCTIONS_CUSTOMHANDLER_PORT"

// DefaultPort is the port used when EnvPort is not set (a local run
// without the host).
const DefaultPort = "8080"

// HeaderInvocationID is the header in which the host sends the
// invocation id; it becomes handler.Invocation.RequestID.
const HeaderInvocationID = "X-Azure-Functions-InvocationId"

// Config is what the Functions host tells a custom handler through its
// environment. The zero value listens on 127.0.0.1:DefaultPort.
type Config struct {
	// Port is the TCP port (FUNCTIONS_CUSTOMHANDLER_PORT); empty means
	// DefaultPort.
	Port string
	// Host is the address to listen on; empty means 127.0.0.1, since only
	// the Functions host, on the same machine, calls a custom handler.
	Host string
}

// ConfigFromEnv reads FUNCTIONS_CUSTOMHANDLER_PORT; it fails, naming the
// variable, if the value is not a TCP port.
func ConfigFromEnv() (Config, error) {
	p := strings.TrimSpace(os.Getenv(EnvPort))
	if p != "" {
		if n, err := strconv.Atoi(p); err != nil || n <= 0 || n > 65535 {
			return Config{}, fmt.Errorf("azurefunctions: %s=%q is not a TCP port", EnvPort, p)
		}
	}
	return Config{Port: p}, nil
}

// Addr returns the listen address, host:port.
func (c Config) Addr() string {
	port, host := c.Port, c.Host
	if port == "" {
		port = DefaultPort
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// kind is a function's trigger.
type kind uint8

const (
	kindEventGrid kind = iota
	kindQueue
	kindServiceBus
	kindEventHubs
	kindBlob
	kindTimer
	kindHTTP
)

// Default binding names, used in generated function.json files and to
// find a trigger's value in Data.
const (
	DefaultEventGridBinding  = "event"
	DefaultQueueBinding      = "message"
	DefaultServiceBusBinding = "message"
	DefaultEventHubsBinding  = "events"
	DefaultBlobBinding       = "blob"
	DefaultTimerBinding      = "timer"
	DefaultHTTPBinding       = "req"
	DefaultHTTPOutput        = "res"
	// ReturnBinding is the function.json name of the return value.
	ReturnBinding = "$return"
)

// Function is one function of a function app, bound to its name: an event
// handler behind a trigger, or an http.Handler behind an HTTP trigger.
// Make it with EventGrid, StorageQueue, ServiceBus, EventHubs, Blob, Timer
// or HTTP.
type Function struct {
	name   string
	kind   kind
	h      handler.Handler
	http   http.Handler
	target string // queue, hub, path or schedule
	cfg    fnConfig
}

// Name returns the function's name: its folder in the app and the path
// (/<name>) the host posts invocations to.
func (f Function) Name() string { return f.name }

// FunctionOption configures one Function.
type FunctionOption func(*fnConfig)

type fnConfig struct {
	binding    string
	output     string
	source     string
	route      string
	methods    []string
	authLevel  string
	props      map[string]any
	extra      []map[string]any
	deadLetter events.Publisher
}

// WithBinding names the trigger binding (its "name" in function.json);
// the default is the Default…Binding of the trigger.
func WithBinding(name string) FunctionOption {
	if strings.TrimSpace(name) == "" {
		panic("azurefunctions: WithBinding(\"\")")
	}
	return func(c *fnConfig) { c.binding = name }
}

// WithOutput sends the handler's reply to the output binding name instead
// of the return value ($return). For HTTP functions it names the HTTP
// output binding (default DefaultHTTPOutput).
func WithOutput(name string) FunctionOption {
	if strings.TrimSpace(name) == "" {
		panic("azurefunctions: WithOutput(\"\")")
	}
	return func(c *fnConfig) { c.output = name }
}

// WithSource sets the CloudEvent source of a Storage Queue, Service Bus,
// Blob (without Uri) or Timer event; the default is
// "/functions/<FunctionName>". Event Grid and Event Hubs events carry
// their own source.
func WithSource(source string) FunctionOption {
	if strings.TrimSpace(source) == "" {
		panic("azurefunctions: WithSource(\"\")")
	}
	return func(c *fnConfig) { c.source = source }
}

// WithRoute sets an HTTP function's route template (function.json
// "route"; default: the function name). With request forwarding the
// request arrives at /<routePrefix>/<route>: {name} and {name:constraint}
// segments match one segment, {*name} the rest of the path.
func WithRoute(route string) FunctionOption {
	return func(c *fnConfig) { c.route = strings.Trim(route, "/") }
}

// WithMethods restricts an HTTP function to methods (function.json
// "methods"); the default accepts every method.
func WithMethods(methods ...string) FunctionOption {
	return func(c *fnConfig) { c.methods = append([]string(nil), methods...) }
}

// WithAuthLevel sets an HTTP function's authLevel in function.json:
// "anonymous", "function" (the default) or "admin".
func WithAuthLevel(level string) FunctionOption {
	switch level {
	case "anonymous", "function", "admin":
	default:
		panic(fmt.Sprintf("azurefunctions: WithAuthLevel(%q): want anonymous, function or admin", level))
	}
	return func(c *fnConfig) { c.authLevel = level }
}

// WithBindingProperty sets a property of the trigger binding in the
// generated function.json ("connection", "maxBatchSize",
// "topicName"…), overriding the default.
func WithBindingProperty(key string, value any) FunctionOption {
	if key == "" || key == "name" || key == "type" || key == "direction" {
		panic(fmt.Sprintf("azurefunctions: WithBindingProperty(%q): not a settable property", key))
	}
	return func(c *fnConfig) {
		if c.props == nil {
			c.props = map[string]any{}
		}
		c.props[key] = value
	}
}

// WithDeadLetter sends this function's events that fail for good
// (invalid input, permanent) to p and acknowledges them, so the trigger
// neither retries them nor moves them to its poison queue or dead-letter
// queue; see the package documentation. It overrides New's WithDeadLetter.
func WithFunctionDeadLetter(p events.Publisher) FunctionOption {
	if p == nil {
		panic("azurefunctions: WithFunctionDeadLetter(nil)")
	}
	return func(c *fnConfig) { c.deadLetter = p }
}

func newFunction(name string, k kind, h handler.Handler, hh http.Handler, target string, opts []FunctionOption) Function {
	if strings.TrimSpace(name) == "" || strings.ContainsAny(name, "/?#% ") {
		panic(fmt.Sprintf("azurefunctions: %q is not a function name", name))
	}
	if h == nil && hh == nil {
		panic("azurefunctions: nil handler for function " + name)
	}
	f := Function{name: name, kind: k, h: h, http: hh, target: target}
	for _, o := range opts {
		o(&f.cfg)
	}
	if f.cfg.binding == "" {
		f.cfg.binding = [...]string{DefaultEventGridBinding, DefaultQueueBinding, DefaultServiceBusBinding,
			DefaultEventHubsBinding, DefaultBlobBinding, DefaultTimerBinding, DefaultHTTPBinding}[k]
	}
	if f.cfg.source == "" {
		f.cfg.source = "/functions/" + name
	}
	if k == kindHTTP && f.cfg.output == "" {
		f.cfg.output = DefaultHTTPOutput
	}
	if f.cfg.route == "" {
		f.cfg.route = name
	}
	return f
}

// EventGrid binds h to the Event Grid trigger function name. Both Event
// Grid schemas are accepted: CloudEvents v1.0 events reach h as they are,
// Event Grid schema events are mapped (see FromEventGrid).
func EventGrid(name string, h handler.Handler, opts ...FunctionOption) Function {
	return newFunction(name, kindEventGrid, h, nil, "", opts)
}

// StorageQueue binds h to the Storage Queue trigger function name on
// queue (function.json "queueName"; connection AzureWebJobsStorage unless
// WithBindingProperty says otherwise).
func StorageQueue(name, queue string, h handler.Handler, opts ...FunctionOption) Function {
	return newFunction(name, kindQueue, h, nil, queue, opts)
}

// ServiceBus binds h to the Service Bus trigger function name on queue
// (for a topic subscription, set "topicName" and "subscriptionName" with
// WithBindingProperty and give an empty queue).
func ServiceBus(name, queue string, h handler.Handler, opts ...FunctionOption) Function {
	return newFunction(name, kindServiceBus, h, nil, queue, opts)
}

// EventHubs binds h to the Event Hubs trigger function name on hub, in
// batches (cardinality "many"): h is called once per event, in order.
func EventHubs(name, hub string, h handler.Handler, opts ...FunctionOption) Function {
	return newFunction(name, kindEventHubs, h, nil, hub, opts)
}

// Blob binds h to the Blob trigger function name on path (function.json
// "path", such as "uploads/{name}").
func Blob(name, path string, h handler.Handler, opts ...FunctionOption) Function {
	return newFunction(name, kindBlob, h, nil, path, opts)
}

// Timer binds h to the Timer trigger function name on schedule (an NCRONTAB
// expression such as "0 */5 * * * *").
func Timer(name, schedule string, h handler.Handler, opts ...FunctionOption) Function {
	return newFunction(name, kindTimer, h, nil, schedule, opts)
}

// HTTP binds h, any http.Handler, to the HTTP trigger function name. With
// request forwarding (host.json enableForwardingHttpRequest) the host
// forwards the client's request and h answers it directly; without it the
// host posts the HTTP binding payload to /<name>, which is mapped to a
// request for h and h's response back to the HTTP output binding.
func HTTP(name string, h http.Handler, opts ...FunctionOption) Function {
	if h == nil {
		panic("azurefunctions: HTTP(nil)")
	}
	return newFunction(name, kindHTTP, nil, h, "", opts)
}

// Option configures New and ListenAndServe.
type Option func(*config)

type config struct {
	maxBody     int64
	timeout     time.Duration
	logger      *slog.Logger
	deadLetter  events.Publisher
	routePrefix string
	server      []httpserver.ServerOption
}

// WithMaxBodyBytes bounds the invocation payload; larger ones are
// answered with 413. The default is httpserver.DefaultMaxBodyBytes.
func WithMaxBodyBytes(n int64) Option {
	if n <= 0 {
		panic("azurefunctions: WithMaxBodyBytes needs a positive limit")
	}
	return func(c *config) { c.maxBody = n }
}

// WithTimeout bounds each invocation: the handler's context gets this
// deadline. Zero, the default, leaves the bound to the host
// (functionTimeout). It panics if d is negative.
func WithTimeout(d time.Duration) Option {
	if d < 0 {
		panic("azurefunctions: negative WithTimeout")
	}
	return func(c *config) { c.timeout = d }
}

// WithLogger sets the logger of failed invocations. The default writes
// JSON lines to standard error, which the host always collects (it drops
// the Logs of a failed invocation's reply).
func WithLogger(l *slog.Logger) Option {
	if l == nil {
		panic("azurefunctions: WithLogger(nil)")
	}
	return func(c *config) { c.logger = l }
}

// WithDeadLetter sends the events that fail for good (invalid input,
// permanent) to p and acknowledges them, for every event function that
// does not set its own (WithFunctionDeadLetter); see the package
// documentation.
func WithDeadLetter(p events.Publisher) Option {
	if p == nil {
		panic("azurefunctions: WithDeadLetter(nil)")
	}
	return func(c *config) { c.deadLetter = p }
}

// WithRoutePrefix sets the route prefix of forwarded HTTP requests
// (host.json extensions.http.routePrefix); the default is "api". With an
// empty prefix, paths of one segment that name a function (/<FunctionName>)
// are taken as the host's invocations, never as forwarded requests: give
// such HTTP functions a route of their own.
func WithRoutePrefix(prefix string) Option {
	return func(c *config) { c.routePrefix = strings.Trim(prefix, "/") }
}

// WithServerOptions passes options to httpserver.Serve in ListenAndServe
// (drain delay, grace period, access log); New ignores them.
func WithServerOptions(opts ...httpserver.ServerOption) Option {
	return func(c *config) { c.server = append(c.server, opts...) }
}

// Handler is the custom handler: an http.Handler answering the host's
// readiness check (GET /), invocations (POST /<FunctionName>) and
// forwarded HTTP requests. Make it with New; it is safe for concurrent
// use.
type Handler struct {
	fns    map[string]*bound // by lower-case name
	names  []string
	routes *http.ServeMux
	cfg    config
}

var _ http.Handler = (*Handler)(nil)

// bound is a function ready to serve.
type bound struct {
	fn     Function
	serve  http.Handler // event functions: httpserver with the trigger's decoder
	dl     *events.DeadLetter
	logger *slog.Logger
	max    int64
	wait   time.Duration // WithTimeout
	served atomic.Bool
}

// New returns the custom handler serving fns. It panics, as a wiring
// mistake, if fns is empty or two functions share a name (Azure function
// names are case-insensitive) or a route.
func New(fns []Function, opts ...Option) *Handler {
	if len(fns) == 0 {
		panic("azurefunctions: New needs at least one function")
	}
	c := config{maxBody: httpserver.DefaultMaxBodyBytes, routePrefix: "api"}
	for _, o := range opts {
		o(&c)
	}
	if c.logger == nil {
		c.logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	a := &Handler{fns: map[string]*bound{}, routes: http.NewServeMux(), cfg: c}
	for _, f := range fns {
		key := strings.ToLower(f.name)
		if _, dup := a.fns[key]; dup {
			panic(fmt.Sprintf("azurefunctions: two functions named %q", f.name))
		}
		b := &bound{fn: f, logger: c.logger, max: c.maxBody, wait: c.timeout}
		dl := f.cfg.deadLetter
		if dl == nil {
			dl = c.deadLetter
		}
		if dl != nil {
			b.dl = events.NewDeadLetter(dl)
		}
		switch f.kind {
		case kindHTTP:
			a.routes.Handle(routePattern(c.routePrefix, f.cfg.route), &forwarded{b: b})
		case kindEventHubs:
		default:
			hopts := []httpserver.Option{
				httpserver.WithPlatform(Platform),
				httpserver.WithPlainDecoder(b.decode),
				httpserver.WithMaxBodyBytes(c.maxBody),
				httpserver.WithLogger(slog.New(slog.DiscardHandler)),
			}
			if c.timeout > 0 {
				hopts = append(hopts, httpserver.WithTimeout(c.timeout))
			}
			b.serve = httpserver.New(&inner{b: b}, hopts...)
		}
		a.fns[key] = b
		a.names = append(a.names, f.name)
	}
	sort.Strings(a.names)
	return a
}

// routePattern turns an Azure route template into a ServeMux pattern.
func routePattern(prefix, route string) string {
	segs := strings.Split(route, "/")
	for i, s := range segs {
		if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
			continue
		}
		name := s[1 : len(s)-1]
		rest := strings.HasPrefix(name, "*")
		name = strings.TrimPrefix(name, "*")
		if j := strings.IndexAny(name, ":=?"); j >= 0 {
			rest = rest || strings.HasSuffix(name, "?")
			name = name[:j]
		}
		if rest {
			segs[i] = "{" + name + "...}"
		} else {
			segs[i] = "{" + name + "}"
		}
	}
	p := "/" + strings.Join(segs, "/")
	if prefix != "" {
		p = "/" + prefix + p
	}
	return p
}

// ServeHTTP serves the host's requests; see the package documentation.
func (a *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
		return
	}
	if name, ok := strings.CutPrefix(path, "/"); ok && name != "" && !strings.Contains(name, "/") {
		if b, ok := a.fns[strings.ToLower(name)]; ok {
			if r.Method != http.MethodPost {
				w.Header().Set("Allow", http.MethodPost)
				httpserver.NewProblem(http.StatusMethodNotAllowed, "the Functions host invokes functions with POST, not "+r.Method).Write(w)
				return
			}
			switch b.fn.kind {
			case kindHTTP:
				b.serveBinding(w, r)
			case kindEventHubs:
				b.serveBatch(w, r)
			default:
				b.serveEvent(w, r)
			}
			return
		}
	}
	if _, pattern := a.routes.Handler(r); pattern != "" {
		a.routes.ServeHTTP(w, r) // sets the route's path values
		return
	}
	detail := fmt.Sprintf("no function at %q: this app has %q", path, a.names)
	a.cfg.logger.LogAttrs(r.Context(), slog.LevelError, "unknown function", slog.String("path", path), slog.String("method", r.Method))
	httpserver.NewProblem(http.StatusNotFound, detail).Write(w)
}

// Response is the custom-handler response payload.
type Response struct {
	// Outputs holds each output binding's value, by binding name.
	Outputs map[string]json.RawMessage `json:"Outputs"`
	// Logs are lines the host adds to the invocation's log.
	Logs []string `json:"Logs"`
	// ReturnValue is the value of the $return binding.
	ReturnValue json.RawMessage `json:"ReturnValue"`
}

func writeResponse(w http.ResponseWriter, resp *Response) {
	if resp.Outputs == nil {
		resp.Outputs = map[string]json.RawMessage{}
	}
	if resp.Logs == nil {
		resp.Logs = []string{}
	}
	body, err := json.Marshal(resp)
	if err != nil {
		httpserver.WriteProblem(w, fmt.Errorf("azurefunctions: encoding the response: %w", err))
		return
	}
	w.Header().Set("Content-Type", mediaJSON)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// output puts a reply's value where the function's configuration says.
func (b *bound) output(resp *Response, v json.RawMessage) {
	if b.fn.cfg.output == "" || b.fn.cfg.output == ReturnBinding {
		resp.ReturnValue = v
		return
	}
	resp.Outputs = map[string]json.RawMessage{b.fn.cfg.output: v}
}

// slot carries one invocation's outcome between the decoder, the inner
// handler and serveEvent.
type slot struct {
	reply     *event.Event
	requestID string
	logged    bool
	req       *Request
}

type slotKey struct{}

// RequestFrom returns the custom-handler payload of the invocation being
// handled (every binding and metadata value, raw), for handlers that need
// more than the CloudEvent carries: Service Bus application properties, a
// queue message's PopReceipt, input bindings. ok is false outside an
// invocation of an event function.
func RequestFrom(ctx context.Context) (req Request, ok bool) {
	s, _ := ctx.Value(slotKey{}).(*slot)
	if s == nil || s.req == nil {
		return Request{}, false
	}
	return *s.req, true
}

// captureWriter keeps httpserver's 204 (no reply: success) from the host,
// which gets the response payload instead, and remembers the start of an
// error body for the log.
type captureWriter struct {
	http.ResponseWriter
	status int
	body   []byte
}

func (c *captureWriter) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
	if code == http.StatusNoContent {
		return
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *captureWriter) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	if c.status >= 400 && len(c.body) < 1024 {
		c.body = append(c.body, p[:min(len(p), 1024-len(c.body))]...)
	}
	return c.ResponseWriter.Write(p)
}

// serveEvent serves an invocation of a single-event trigger through
// httpserver, with the trigger's decoder as its plain decoder.
func (b *bound) serveEvent(w http.ResponseWriter, r *http.Request) {
	s := &slot{requestID: r.Header.Get(HeaderInvocationID)}
	cw := &captureWriter{ResponseWriter: w}
	b.serve.ServeHTTP(cw, r.WithContext(context.WithValue(r.Context(), slotKey{}, s)))
	switch {
	case cw.status == http.StatusNoContent:
		resp := &Response{}
		if s.reply != nil {
			b.output(resp, replyValue(s.reply.Data(), s.reply.DataContentType()))
		}
		writeResponse(w, resp)
	case cw.status >= 300 && !s.logged:
		// Refused before the handler ran: the payload did not decode.
		b.logger.LogAttrs(r.Context(), slog.LevelError, "invocation refused",
			slog.String("function", b.fn.name), slog.Int("status", cw.status), slog.String("problem", string(cw.body)))
	}
}

// decode is the trigger's httpserver.PlainDecoder.
func (b *bound) decode(r *http.Request, body []byte) (event.Event, int, bool, error) {
	req, err := ParseRequest(body)
	if err != nil {
		return event.Event{}, 0, false, err
	}
	if s, ok := r.Context().Value(slotKey{}).(*slot); ok {
		s.req = &req
		if s.requestID == "" {
			s.requestID = req.Sys().RandGuid
		}
	}
	var e event.Event
	var n int
	switch b.fn.kind {
	case kindEventGrid:
		var raw json.RawMessage
		if raw, err = req.Binding(b.fn.cfg.binding); err == nil {
			e, err = FromEventGrid(raw)
		}
	case kindQueue:
		e, n, err = FromStorageQueue(req, b.fn.cfg.binding, b.fn.cfg.source)
	case kindServiceBus:
		e, n, err = FromServiceBus(req, b.fn.cfg.binding, b.fn.cfg.source)
	case kindBlob:
		e, err = FromBlob(req, b.fn.cfg.binding, b.fn.cfg.source)
	case kindTimer:
		e, err = FromTimer(req, b.fn.cfg.binding, b.fn.cfg.source)
	default:
		err = fmt.Errorf("azurefunctions: function %q has no event trigger", b.fn.name)
	}
	if err != nil {
		return event.Event{}, 0, false, err
	}
	return e, n, true, nil
}

// inner runs the user's handler for serveEvent: it completes the
// invocation metadata, applies the error table and keeps the reply.
type inner struct{ b *bound }

func (in *inner) Handle(ctx context.Context, e event.Event) (*event.Event, error) {
	s, _ := ctx.Value(slotKey{}).(*slot)
	inv, _ := handler.InvocationFrom(ctx)
	inv.Platform = Platform
	inv.Sync = false // the trigger redelivers; nobody waits
	inv.Function = in.b.fn.name
	if s != nil {
		inv.RequestID = s.requestID
	}
	ctx = handler.WithInvocation(ctx, &inv)
	reply, err := in.b.call(ctx, e)
	if s == nil {
		return nil, err
	}
	if err != nil {
		s.logged = true
		return nil, err
	}
	s.reply = reply
	return nil, nil
}

// call runs the handler on e and applies the error table: it logs every
// failure, and sends failures for good to the dead letter when there is
// one (then succeeding).
func (b *bound) call(ctx context.Context, e event.Event) (*event.Event, error) {
	reply, err := handler.Call(ctx, b.fn.h, e)
	if err == nil {
		return reply, nil
	}
	if b.dl != nil && events.Wants(err) {
		b.log(ctx, slog.LevelWarn, e, http.StatusOK, "event failed for good; dead-lettered", err)
		if derr := b.dl.Send(ctx, e, err); derr != nil {
			b.log(ctx, slog.LevelError, e, http.StatusInternalServerError, "dead-letter publish failed", derr)
			return nil, derr
		}
		return nil, nil
	}
	b.log(ctx, slog.LevelError, e, httpserver.StatusOf(err), "event failed", err)
	return nil, err
}

func (b *bound) log(ctx context.Context, level slog.Level, e event.Event, status int, msg string, err error) {
	if !b.logger.Enabled(ctx, level) {
		return
	}
	inv, _ := handler.InvocationFrom(ctx)
	attrs := []slog.Attr{
		slog.String("function", b.fn.name),
		slog.Int("status", status),
		slog.String("class", handler.ClassOf(err).String()),
		slog.String("error", err.Error()),
		slog.String("ce_id", e.ID()),
		slog.String("ce_type", e.Type()),
		slog.Int("attempt", inv.Attempt),
		slog.String("invocation_id", inv.RequestID),
	}
	var p *handler.PanicError
	if errors.As(err, &p) {
		attrs = append(attrs, slog.String("stack", string(p.Stack)))
	}
	b.logger.LogAttrs(ctx, level, msg, attrs...)
}

// readBody reads a bounded invocation body.
func (b *bound) readBody(r *http.Request) ([]byte, error) {
	if r.ContentLength > b.max {
		return nil, tooLarge(b.max)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, b.max+1))
	if err != nil {
		return nil, fmt.Errorf("azurefunctions: reading the request body: %w", err)
	}
	if int64(len(body)) > b.max {
		return nil, tooLarge(b.max)
	}
	return body, nil
}

// ErrTooLarge is matched by the error of an invocation payload over the
// limit (WithMaxBodyBytes), answered with 413.
var ErrTooLarge = errors.New("azurefunctions: request body too large")

func tooLarge(limit int64) error {
	return &handler.Error{Class: handler.ClassInvalidInput, Err: ErrTooLarge,
		Detail: fmt.Sprintf("request body is larger than the limit of %d bytes", limit)}
}

// fail answers a failure that happened outside the handler, logging it.
func (b *bound) fail(w http.ResponseWriter, r *http.Request, err error) {
	p := httpserver.ProblemFor(err)
	if errors.Is(err, ErrTooLarge) {
		p.Status, p.Title = http.StatusRequestEntityTooLarge, "Content Too Large"
	}
	b.logger.LogAttrs(r.Context(), slog.LevelError, "invocation refused",
		slog.String("function", b.fn.name), slog.Int("status", p.Status), slog.String("error", err.Error()))
	p.Write(w)
}

// invocation builds the invocation metadata of a batch or HTTP binding
// invocation.
func (b *bound) invocation(r *http.Request, req *Request, sync bool) *handler.Invocation {
	inv := &handler.Invocation{Platform: Platform, Function: b.fn.name, Sync: sync, RequestID: r.Header.Get(HeaderInvocationID)}
	if inv.RequestID == "" && req != nil {
		inv.RequestID = req.Sys().RandGuid
	}
	if !b.served.Load() {
		inv.ColdStart = b.served.CompareAndSwap(false, true)
	}
	return inv
}

// serveBatch serves an Event Hubs batch: each event in order; a failure
// for good is dead-lettered (with WithDeadLetter) and the batch goes on;
// any other failure stops the batch and fails the invocation.
func (b *bound) serveBatch(w http.ResponseWriter, r *http.Request) {
	body, err := b.readBody(r)
	if err != nil {
		b.fail(w, r, err)
		return
	}
	req, err := ParseRequest(body)
	if err != nil {
		b.fail(w, r, err)
		return
	}
	evs, err := FromEventHubs(req, b.fn.cfg.binding)
	if err != nil {
		b.fail(w, r, err)
		return
	}
	inv := b.invocation(r, &req, false)
	ctx := r.Context()
	var cancel context.CancelFunc = func() {}
	if t := b.timeout(); t > 0 {
		ctx, cancel = context.WithTimeout(ctx, t)
	}
	defer cancel()
	if d, ok := ctx.Deadline(); ok {
		inv.Deadline = d
	}
	ctx = handler.WithInvocation(context.WithValue(ctx, slotKey{}, &slot{req: &req}), inv)
	var replies []json.RawMessage
	for _, e := range evs {
		reply, err := b.call(ctx, e)
		if err != nil {
			httpserver.WriteProblem(w, err)
			return
		}
		if reply != nil {
			replies = append(replies, replyValue(reply.Data(), reply.DataContentType()))
		}
	}
	resp := &Response{}
	if replies != nil {
		v, _ := json.Marshal(replies)
		b.output(resp, v)
	}
	writeResponse(w, resp)
}

func (b *bound) timeout() time.Duration { return b.wait }

// forwarded serves a forwarded HTTP request with the invocation metadata
// in its context.
type forwarded struct{ b *bound }

func (f *forwarded) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if m := f.b.fn.cfg.methods; len(m) > 0 && !containsFold(m, r.Method) {
		w.Header().Set("Allow", strings.ToUpper(strings.Join(m, ", ")))
		httpserver.NewProblem(http.StatusMethodNotAllowed, r.Method+" is not allowed here").Write(w)
		return
	}
	inv := f.b.invocation(r, nil, true)
	f.b.fn.http.ServeHTTP(w, r.WithContext(handler.WithInvocation(r.Context(), inv)))
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// Serve serves h (New's handler) on ln through httpserver.Serve until
// ctx ends, then drains; GET / is the readiness check the host polls,
// answered 503 once the drain starts. opts go after the health path, so
// they may change it.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, opts ...httpserver.ServerOption) error {
	return httpserver.Serve(ctx, ln, h, append([]httpserver.ServerOption{httpserver.WithHealthPath("/")}, opts...)...)
}

// ListenAndServe listens on cfg.Addr() and serves fns like Serve until
// ctx ends or the process receives SIGTERM or SIGINT. Server options come
// from httpserver.ServerOptionsFromEnv, then WithServerOptions.
func ListenAndServe(ctx context.Context, cfg Config, fns []Function, opts ...Option) error {
	envOpts, err := httpserver.ServerOptionsFromEnv()
	if err != nil {
		return fmt.Errorf("azurefunctions: %w", err)
	}
	h := New(fns, opts...)
	sopts := append([]httpserver.ServerOption{httpserver.WithHealthPath("/")}, envOpts...)
	return httpserver.ListenAndServe(ctx, cfg.Addr(), h, append(sopts, h.cfg.server...)...)
}
