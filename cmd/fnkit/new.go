package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"

	"golang.org/x/mod/module"

	"github.com/fnkit/fnkit/examples"
)

const newUsage = `Usage: fnkit new [flags] <template> <module-path> [dir]

Creates a new function from a template — a complete, tested example —
in dir (default: the last element of the module path), rewrites its module
path, writes deployment descriptors under deploy/ (an AWS SAM template, a
gcloud script for Cloud Functions, a Knative Service, as the template runs
there), and runs "go mod tidy" so that "go build ./..." and "go test ./..."
pass at once. It refuses a dir that exists and is not empty, and leaves
nothing behind when it fails.

Templates:
%s
Flags:
`

// scaffoldTemplate is one scaffolding template.
type scaffoldTemplate struct {
	dir    string     // directory in examples.Templates
	about  string     // one line for the help
	skip   []string   // files not copied: tests of fnkit's own servers, which need its internal packages
	deploy deployment // what its deployment descriptors say (Name and Module are the scaffold's)
}

var templates = map[string]scaffoldTemplate{
	"hello": {"hello", "the smallest function: a typed, validated handler over HTTP (Knative, Cloud Run, any container)", nil,
		deployment{Trigger: triggerHTTP, Ready: "/healthz", Live: "/healthz"}},
	"http-api": {"http-api", "an HTTP API with idempotent creates over any state store; Lambda, Cloud Functions, Knative", []string{"idempotency_test.go"},
		deployment{Trigger: triggerHTTP, Target: "Orders", Lambda: true, CloudFns: true, Ready: "/readyz", Live: "/livez", Azure: ordersOnAzure}},
	"queue-worker": {"queue-worker", "an SQS worker on Lambda: partial batch failures, idempotency, Step Functions errorTypes", nil,
		deployment{Trigger: triggerQueue, Lambda: true, NoKnative: true}},
	"storage-processor": {"storage-processor", "reacts to an uploaded object (S3, Cloud Storage) and publishes a follow-up event", nil,
		deployment{Trigger: triggerStorage, Target: "OnUpload", Lambda: true, CloudFns: true, Ready: "/readyz", Live: "/livez"}},
	"saga": {"saga", "an order workflow across event handlers with compensation on failure, on state and an event bus", nil,
		deployment{Trigger: triggerEvents, Target: "Saga", Lambda: true, CloudFns: true, Ready: "/readyz", Live: "/livez"}},
	"scheduled-job": {"scheduled-job", "a nightly job over a state store, idempotent per tick (EventBridge schedule, Cloud Scheduler, PingSource)", nil,
		deployment{Trigger: triggerSchedule, Target: "NightlyJob", Lambda: true, CloudFns: true, Ready: "/readyz", Live: "/livez"}},
}

const fnkitModule = "github.com/fnkit/fnkit"

func templateList() string {
	names := make([]string, 0, len(templates))
	for n := range templates {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "  %-18s %s\n", n, templates[n].about)
	}
	return b.String()
}

func runNew(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fnkit new", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintf(stderr, newUsage, templateList()); fs.PrintDefaults() }
	replace := fs.String("replace", "", "use the fnkit checkout in this directory (a replace directive) instead of a released version")
	noTidy := fs.Bool("no-tidy", false, `do not run "go mod tidy" (it needs the go command and the module proxy or cache)`)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() < 2 || fs.NArg() > 3 {
		fmt.Fprintf(stderr, "fnkit new: want <template> <module-path> [dir], got %d arguments\n", fs.NArg())
		fs.Usage()
		return exitUsage
	}
	name, mod := fs.Arg(0), fs.Arg(1)
	tpl, ok := templates[name]
	if !ok {
		fmt.Fprintf(stderr, "fnkit new: unknown template %q; the templates are:\n%s", name, templateList())
		return exitUsage
	}
	if err := module.CheckImportPath(mod); err != nil {
		fmt.Fprintf(stderr, "fnkit new: %q is not a valid module path: %v\n", mod, err)
		return exitUsage
	}
	dir := fs.Arg(2)
	if dir == "" {
		dir = path.Base(mod)
	}
	if err := checkTarget(dir); err != nil {
		fmt.Fprintf(stderr, "fnkit new: %v\n", err)
		return exitUsage
	}
	if *replace != "" {
		abs, err := filepath.Abs(*replace)
		if err == nil {
			_, err = os.Stat(filepath.Join(abs, "go.mod"))
		}
		if err != nil {
			fmt.Fprintf(stderr, "fnkit new: --replace %q is not an fnkit checkout: %v\n", *replace, err)
			return exitUsage
		}
		*replace = abs
	}
	version, released := fnkitVersion()
	if !released && *replace == "" {
		fmt.Fprintf(stderr, "fnkit new: this fnkit is a development build, so no released version to require: pass --replace with your fnkit checkout\n")
		return exitUsage
	}
	if err := scaffold(tpl, mod, dir, version, *replace, !*noTidy); err != nil {
		fmt.Fprintf(stderr, "fnkit new: %v\n", err)
		return exitIO
	}
	fmt.Fprintf(stdout, "created %s (module %s) from the %s template\n  cd %s && go test ./... && go run .\n", dir, mod, name, dir)
	return exitOK
}

// checkTarget refuses a target that exists and is not an empty directory.
func checkTarget(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("%s: %w", dir, err)
	case len(entries) > 0:
		return fmt.Errorf("%s exists and is not empty: choose another directory", dir)
	}
	return nil
}

// fnkitVersion is the fnkit version this CLI was built from, and whether
// it is a released one.
func fnkitVersion() (string, bool) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "v0.0.0", false
	}
	v := bi.Main.Version
	if bi.Main.Path != fnkitModule {
		for _, d := range bi.Deps {
			if d.Path == fnkitModule {
				v = d.Version
			}
		}
	}
	if v == "" || v == "(devel)" {
		return "v0.0.0", false
	}
	return v, true
}

// scaffold writes the project into a temporary directory beside dir, runs
// go mod tidy there, and only then moves it into place.
func scaffold(tpl scaffoldTemplate, mod, dir, version, replace string, tidy bool) error {
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, ".fnkit-new-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	if err := copyTemplate(tpl, mod, tmp); err != nil {
		return err
	}
	gomod := fmt.Sprintf("module %s\n\ngo 1.26.0\n\nrequire %s %s\n", mod, fnkitModule, version)
	if replace != "" {
		gomod += fmt.Sprintf("\nreplace %s => %s\n", fnkitModule, replace)
	}
	if err := os.WriteFile(filepath.Join(tmp, "go.mod"), []byte(gomod), 0o644); err != nil {
		return err
	}
	d := tpl.deploy
	d.Name, d.Module = dnsLabel(path.Base(mod)), mod
	if err := writeDescriptors(tmp, d); err != nil {
		return err
	}
	if tidy {
		cmd := exec.Command("go", "mod", "tidy")
		cmd.Dir = tmp
		cmd.Env = append(os.Environ(), "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go mod tidy in the new project failed (nothing was created; retry with --no-tidy to keep it): %v\n%s", err, out)
		}
	}
	if err := os.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err // an empty directory is replaced; checkTarget refused others
	}
	return os.Rename(tmp, dir)
}

// copyTemplate copies the template's files into dst, rewriting the
// template's own import path to mod in Go files.
func copyTemplate(tpl scaffoldTemplate, mod, dst string) error {
	src, err := fs.Sub(examples.Templates, tpl.dir)
	if err != nil {
		return err
	}
	own := []byte(fnkitModule + "/examples/" + tpl.dir)
	return fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !filepath.IsLocal(p) && p != "." {
			return fmt.Errorf("template path %q escapes the target directory", p)
		}
		target := filepath.Join(dst, filepath.FromSlash(p))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		for _, s := range tpl.skip {
			if p == s {
				return nil
			}
		}
		b, err := fs.ReadFile(src, p)
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".go") {
			b = bytes.ReplaceAll(b, own, []byte(mod))
		}
		return os.WriteFile(target, b, 0o644)
	})
}
