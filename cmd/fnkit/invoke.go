package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/cloudevents/sdk-go/v2/event"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
	"github.com/google/uuid"
)

const invokeUsage = `Usage: fnkit invoke [flags] [file|-]

Sends an event to a locally running function (fnkit's httpserver, knative
or cloudfunctions adapters, or any CloudEvents HTTP receiver) and prints
the answer: the status, the reply's CloudEvents attributes and its body.

The input (a file, or - for standard input; {} when omitted) is either a
structured CloudEvent (JSON with "specversion"), sent as it is, or any
data, sent as the data of a new event with --id, --source and --type.
"fnkit events" prints inputs to start from.

Exit codes: 0 on a 2xx answer, 1 on another status, 2 on a usage error,
3 if the function cannot be reached or the input cannot be read.

Flags:
`

// invokeFlags are the flags of fnkit invoke.
type invokeFlags struct {
	url, mode, id, source, typ, contentType string
	timeout                                 time.Duration
	headers                                 headerFlags
}

// headerFlags collects repeated --header K=V flags.
type headerFlags []string

func (h *headerFlags) String() string     { return strings.Join(*h, ",") }
func (h *headerFlags) Set(v string) error { *h = append(*h, v); return nil }

func runInvoke(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var f invokeFlags
	fs := flag.NewFlagSet("fnkit invoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, invokeUsage); fs.PrintDefaults() }
	fs.StringVar(&f.url, "url", cmp.Or(os.Getenv("FNKIT_URL"), "http://localhost:8080"), "the function's URL (default $FNKIT_URL or http://localhost:8080)")
	fs.StringVar(&f.mode, "mode", "binary", "CloudEvents HTTP content mode: binary, structured or plain (the data as a plain POST)")
	fs.StringVar(&f.id, "id", "", "event id for data input (default a fresh UUID)")
	fs.StringVar(&f.source, "source", "/fnkit/invoke", "event source for data input")
	fs.StringVar(&f.typ, "type", "com.example.invoke", "event type for data input")
	fs.StringVar(&f.contentType, "content-type", "application/json", "datacontenttype of data input")
	fs.DurationVar(&f.timeout, "timeout", 30*time.Second, "how long to wait for the answer")
	fs.Var(&f.headers, "header", "extra request header K=V (repeatable)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 1 {
		fmt.Fprintf(stderr, "fnkit invoke: one input at most, got %d: %s\n", fs.NArg(), strings.Join(fs.Args(), " "))
		return exitUsage
	}
	if f.mode != "binary" && f.mode != "structured" && f.mode != "plain" {
		fmt.Fprintf(stderr, "fnkit invoke: --mode %q: want binary, structured or plain\n", f.mode)
		return exitUsage
	}
	for _, h := range f.headers {
		if k, _, ok := strings.Cut(h, "="); !ok || strings.TrimSpace(k) == "" {
			fmt.Fprintf(stderr, "fnkit invoke: --header %q: want K=V\n", h)
			return exitUsage
		}
	}
	input, err := readInput(fs.Arg(0), stdin)
	if err != nil {
		fmt.Fprintf(stderr, "fnkit invoke: %v\n", err)
		return exitIO
	}
	req, err := f.request(ctx, input)
	if err != nil {
		fmt.Fprintf(stderr, "fnkit invoke: %v\n", err)
		return exitUsage
	}
	client := &http.Client{Timeout: f.timeout}
	resp, err := client.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "fnkit invoke: cannot reach the function at %s: %v (is it running? start it with go run, or set --url)\n", f.url, err)
		return exitIO
	}
	defer resp.Body.Close()
	if err := printAnswer(stdout, resp); err != nil {
		fmt.Fprintf(stderr, "fnkit invoke: reading the answer: %v\n", err)
		return exitIO
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		fmt.Fprintf(stderr, "fnkit invoke: the function answered %s\n", resp.Status)
		return exitFailed
	}
	return exitOK
}

// readInput reads the named file, standard input for "-", or {} for none.
func readInput(name string, stdin io.Reader) ([]byte, error) {
	switch name {
	case "":
		return []byte("{}"), nil
	case "-":
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("reading standard input: %w", err)
		}
		return b, nil
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("reading the event: %w", err)
	}
	return b, nil
}

// request builds the HTTP request for input in the chosen mode.
func (f *invokeFlags) request(ctx context.Context, input []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url, nil)
	if err != nil {
		return nil, fmt.Errorf("--url %q: %w", f.url, err)
	}
	for _, h := range f.headers {
		k, v, _ := strings.Cut(h, "=")
		req.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	e, structured, err := inputEvent(input, f)
	if err != nil {
		return nil, err
	}
	if f.mode == "plain" {
		body := input
		if structured {
			body = e.Data()
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
		req.Header.Set("Content-Type", cmp.Or(e.DataContentType(), f.contentType))
		if f.id != "" {
			req.Header.Set("Idempotency-Key", f.id)
		}
		return req, nil
	}
	wctx := binding.WithForceBinary(ctx)
	if f.mode == "structured" {
		wctx = binding.WithForceStructured(ctx)
	}
	if err := cehttp.WriteRequest(wctx, binding.ToMessage(&e), req); err != nil {
		return nil, fmt.Errorf("encoding the event: %w", err)
	}
	return req, nil
}

// inputEvent makes the event to send: input itself if it is a structured
// CloudEvent, else a new event whose data is input.
func inputEvent(input []byte, f *invokeFlags) (event.Event, bool, error) {
	trimmed := bytes.TrimSpace(input)
	if len(trimmed) > 0 && trimmed[0] == '{' && bytes.Contains(trimmed, []byte(`"specversion"`)) {
		var e event.Event
		if err := json.Unmarshal(trimmed, &e); err != nil {
			return e, false, fmt.Errorf("the input looks like a structured CloudEvent but does not decode: %w", err)
		}
		if err := e.Validate(); err != nil {
			return e, false, fmt.Errorf("the input is not a valid CloudEvent: %w", err)
		}
		return e, true, nil
	}
	if f.contentType == "application/json" && !json.Valid(trimmed) {
		return event.Event{}, false, errors.New("the input is not JSON: pass --content-type for other data")
	}
	e := event.New()
	e.SetID(cmp.Or(f.id, uuid.NewString()))
	e.SetSource(f.source)
	e.SetType(f.typ)
	e.SetTime(time.Now())
	if err := e.SetData(f.contentType, input); err != nil {
		return e, false, fmt.Errorf("setting the data: %w", err)
	}
	if err := e.Validate(); err != nil {
		return e, false, fmt.Errorf("--id, --source, --type: %w", err)
	}
	return e, false, nil
}

// printAnswer prints the status, the reply's CloudEvents headers and
// content type, and the body.
func printAnswer(w io.Writer, resp *http.Response) error {
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s %s\n", resp.Proto, resp.Status)
	var keys []string
	for k := range resp.Header {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "ce-") || lk == "content-type" || lk == "retry-after" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "%s: %s\n", k, strings.Join(resp.Header[k], ", "))
	}
	fmt.Fprintln(w)
	if len(body) > 0 {
		_, _ = w.Write(body)
		if body[len(body)-1] != '\n' {
			fmt.Fprintln(w)
		}
	}
	return nil
}
