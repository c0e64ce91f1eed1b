// Command measure runs each binary given on the command line n times, in
// turn, and prints the median time from exec to the first 200 answer to a
// request over loopback (by default a POST of the greeting to /), with
// the binary's size.
//
//	measure -n 40 bare hello hellostack
//	measure -n 40 -method GET -path '/orders?limit=1' httpapibare httpapisingle httpapi
package main

import (
	"bytes"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"time"
)

func main() {
	n := flag.Int("n", 40, "runs per binary")
	flag.StringVar(&method, "method", http.MethodPost, "method of the request")
	flag.StringVar(&path, "path", "/", "path (and query) of the request")
	flag.Parse()
	fmt.Printf("%-12s %10s %10s %10s %10s\n", "binary", "median", "p10", "p90", "size MiB")
	bins := flag.Args()
	runs := make([][]time.Duration, len(bins))
	// Round robin, so that a change in the machine's load hits every
	// binary alike.
	for i := 0; i < *n; i++ {
		for j, bin := range bins {
			d, err := once(bin)
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s: %v\n", bin, err)
				os.Exit(1)
			}
			runs[j] = append(runs[j], d)
		}
	}
	for j, bin := range bins {
		r := runs[j]
		slices.Sort(r)
		st, _ := os.Stat(bin)
		fmt.Printf("%-12s %10s %10s %10s %10.2f\n", st.Name(), ms(r[len(r)/2]), ms(r[len(r)/10]), ms(r[len(r)*9/10]),
			float64(st.Size())/(1<<20))
	}
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 2, 64) + "ms"
}

// freePort returns a port on 127.0.0.1 that was free a moment ago.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port, nil
}

var (
	body         = []byte(`{"name":"Ada","language":"fr"}`)
	method, path string
)

func once(bin string) (time.Duration, error) {
	port, err := freePort()
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "PORT="+port)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: time.Second}
	url := "http://127.0.0.1:" + port + path
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	for time.Since(start) < 5*time.Second {
		req, err := http.NewRequest(method, url, nil)
		if err != nil {
			return 0, err
		}
		if method == http.MethodPost {
			req, _ = http.NewRequest(method, url, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(start), nil
			}
			return 0, fmt.Errorf("status %d", resp.StatusCode)
		}
		time.Sleep(50 * time.Microsecond)
	}
	return 0, fmt.Errorf("no answer within 5s")
}
