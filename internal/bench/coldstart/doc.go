// Package coldstart holds the programs that coldstart.sh measures for
// cold start and binary size (see BENCHMARKS.md): bare, a plain net/http
// program that decodes and answers the same JSON as examples/hello; hello,
// examples/hello's handler (package greet, imported, not copied) served
// by httpserver alone; hellostack, the same with
// middleware.DefaultStack and observe.FromEnv; and measure, which runs a
// binary many times and reports the median time from exec to the first
// 200 answer over loopback. platform.sh also measures helloplatform
// (hello through adapters/platform) and examples/http-api's API on an
// embedded bbolt store three ways: httpapi (through adapters/platform),
// httpapisingle (httpserver alone), both wired by apiwire, and
// httpapibare (net/http and bbolt by hand). The servers listen on
// 127.0.0.1:$PORT only.
package coldstart
