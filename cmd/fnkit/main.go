// Command fnkit is the developer CLI of fnkit:
//
//	fnkit new <template> <module>   scaffold a function from a tested template
//	fnkit events <source> [flags]   print a realistic sample event of a trigger
//	fnkit invoke [flags] [file|-]   send an event to a locally running function
//
// Run "fnkit help" or "fnkit <command> -h" for the flags. Exit codes: 0
// success; 1 the function answered with a non-2xx status; 2 a usage error
// (unknown command or flag, bad argument); 3 the function could not be
// reached or the input could not be read.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
)

// Exit codes.
const (
	exitOK       = 0
	exitFailed   = 1 // the function answered non-2xx
	exitUsage    = 2
	exitIO       = 3 // unreachable function, unreadable input
	usageSummary = `fnkit is the developer CLI of fnkit.

Usage:
  fnkit new <template> <module-path> [dir]   scaffold a new function (fnkit new -h lists the templates)
  fnkit events <source> [flags]   print a realistic sample event (fnkit events -h lists the sources)
  fnkit invoke [flags] [file|-]   send an event to a locally running function and print the reply
  fnkit help                      print this help

Exit codes: 0 success, 1 non-2xx answer, 2 usage error, 3 unreachable function or unreadable input.
`
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run runs the CLI with args (without the program name) and returns the
// exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageSummary)
		return exitUsage
	}
	switch args[0] {
	case "new":
		return runNew(args[1:], stdout, stderr)
	case "events":
		return runEvents(args[1:], stdout, stderr)
	case "invoke":
		return runInvoke(ctx, args[1:], stdin, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usageSummary)
		return exitOK
	}
	fmt.Fprintf(stderr, "fnkit: unknown command %q: run \"fnkit help\" for the commands\n", args[0])
	return exitUsage
}
