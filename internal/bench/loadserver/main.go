// Command loadserver serves the benchmark workload for load tests over
// loopback (see internal/bench/loadtest.sh and BENCHMARKS.md).
//
//	loadserver -impl bare|fnkit|fnkit-serve|fnkit-serve-nolog|fnkit-stack|fnkit-stack-buffered -addr 127.0.0.1:9090
//
// bare and fnkit run under the same plain http.Server; fnkit-serve runs
// fnkit under httpserver.Serve with its defaults (access log to stderr),
// fnkit-serve-nolog without the access log. fnkit-stack adds
// middleware.DefaultStack (logging at Info as JSON to stderr, in place of
// the access log; tracing on a never-sampling SDK provider; metrics on an
// SDK provider), and fnkit-stack-buffered writes its log through an
// observe.BufferedWriter (64 KiB, flushed every 100 ms).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/internal/bench"
	"github.com/fnkit/fnkit/middleware"
	"github.com/fnkit/fnkit/observe"
)

func main() {
	impl := flag.String("impl", "fnkit", "bare, fnkit or fnkit-serve")
	addr := flag.String("addr", "127.0.0.1:9090", "listen address")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := run(ctx, *impl, ln); err != nil {
		fmt.Fprintln(os.Stderr, err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// run serves the workload with impl on ln until ctx is done.
func run(ctx context.Context, impl string, ln net.Listener) error {
	switch impl {
	case "bare", "fnkit":
		h := bench.BareHandler()
		if impl == "fnkit" {
			h = bench.FnkitHandler()
		}
		srv := &http.Server{Handler: h}
		go func() { <-ctx.Done(); _ = srv.Close() }()
		if err := srv.Serve(ln); err != http.ErrServerClosed {
			return err
		}
		return nil
	case "fnkit-serve-nolog":
		return httpserver.Serve(ctx, ln, bench.FnkitHandler(), httpserver.WithoutAccessLog())
	case "fnkit-serve":
		logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
		return httpserver.Serve(ctx, ln, bench.FnkitHandler(), httpserver.WithServerLogger(logger))
	case "fnkit-stack", "fnkit-stack-buffered":
		var out io.Writer = os.Stderr
		if impl == "fnkit-stack-buffered" {
			bw := observe.NewBufferedWriter(os.Stderr, 64<<10, 100*time.Millisecond)
			defer bw.Close()
			out = bw
		}
		logger := slog.New(slog.NewJSONHandler(out, nil))
		tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()))
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
		stack := middleware.DefaultStack(middleware.WithLogger(logger), middleware.WithTracerProvider(tp), middleware.WithMeterProvider(mp))
		return httpserver.Serve(ctx, ln, httpserver.New(stack(bench.Handler()), httpserver.WithLogger(logger)), httpserver.WithServerLogger(logger))
	}
	return fmt.Errorf("unknown -impl %q", impl)
}
