package bench

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// buildLambda builds pkg (relative to this directory) as a stripped
// Lambda bootstrap, as for the provided.al2023 runtime.
func buildLambda(tb testing.TB, pkg string) (string, int64) {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", bin, pkg)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	fi, err := os.Stat(bin)
	if err != nil {
		tb.Fatal(err)
	}
	return bin, fi.Size()
}

// firstNext starts bin against a Runtime API on 127.0.0.1 and returns the
// time from exec to its first /invocation/next request.
func firstNext(tb testing.TB, bin string) time.Duration {
	tb.Helper()
	got := make(chan time.Time, 1)
	stop := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		select {
		case got <- time.Now():
		default:
		}
		select {
		case <-stop:
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("POST /2020-01-01/extension/register", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Lambda-Extension-Identifier", "ext")
	})
	mux.HandleFunc("GET /2020-01-01/extension/event/next", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-stop:
		case <-r.Context().Done():
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer close(stop)
	cmd := exec.Command(bin)
	cmd.Env = []string{"AWS_LAMBDA_RUNTIME_API=" + strings.TrimPrefix(srv.URL, "http://"), "AWS_LAMBDA_FUNCTION_NAME=f"}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	select {
	case t := <-got:
		return t.Sub(start)
	case <-time.After(10 * time.Second):
		tb.Fatal("no /invocation/next request")
	}
	return 0
}

// BenchmarkLambdaColdStart builds examples/queue-worker and the bare
// aws-lambda-go SQS function (testdata/lambdabare), reports each stripped
// bootstrap's size and the median of 20 times from exec to the first
// /invocation/next request. Run it with -benchtime 1x.
func BenchmarkLambdaColdStart(b *testing.B) {
	for _, c := range []struct{ name, pkg string }{{"bare", "./testdata/lambdabare"}, {"queue-worker", "../../examples/queue-worker"}} {
		b.Run(c.name, func(b *testing.B) {
			bin, size := buildLambda(b, c.pkg)
			firstNext(b, bin) // warm the page cache
			b.ResetTimer()
			for b.Loop() {
				var ds []time.Duration
				for range 20 {
					ds = append(ds, firstNext(b, bin))
				}
				slices.Sort(ds)
				b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, "ms-to-next")
				b.ReportMetric(float64(size)/(1<<20), "MiB")
			}
		})
	}
}
