package main

import (
	"context"
	"os"
	"strings"
)

// fnkit events prints a sample event to start a test or an invocation
// from.
func Example_events() {
	run(context.Background(), []string{"events", "schedule"}, strings.NewReader(""), os.Stdout, os.Stderr)
	// Output:
	// {
	//   "version": "0",
	//   "id": "89d1a02d-5ec7-412e-82f5-13505f849b41",
	//   "detail-type": "Scheduled Event",
	//   "source": "aws.events",
	//   "account": "123456789012",
	//   "time": "2026-11-24T10:00:00Z",
	//   "region": "eu-west-1",
	//   "resources": [
	//     "arn:aws:events:eu-west-1:123456789012:rule/nightly"
	//   ],
	//   "detail": {}
	// }
}
