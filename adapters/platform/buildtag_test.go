package platform

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The tag fnkit_nocloudfunctions leaves functions-framework-go and the
// CloudEvents SDK client out of the binary, and such a binary refuses to
// run on Cloud Functions with ErrNotLinked's message instead of
// misbehaving.
func TestBuildWithoutCloudFunctions(t *testing.T) {
	deps := func(tags ...string) string {
		args := append([]string{"list", "-deps"}, tags...)
		out, err := exec.Command("go", append(args, ".")...).CombinedOutput()
		if err != nil {
			t.Fatalf("go list: %v\n%s", err, out)
		}
		return string(out)
	}
	costly := []string{"github.com/GoogleCloudPlatform/functions-framework-go/funcframework", "github.com/cloudevents/sdk-go/v2/client"}
	with, without := deps(), deps("-tags", "fnkit_nocloudfunctions")
	for _, p := range costly {
		if !strings.Contains(with, p+"\n") {
			t.Errorf("the default build does not link %s: the check below proves nothing", p)
		}
		if strings.Contains(without, p+"\n") {
			t.Errorf("built with fnkit_nocloudfunctions, it still links %s", p)
		}
	}
	if !strings.Contains(without, "github.com/fnkit/fnkit/adapters/awslambda\n") || !strings.Contains(without, "github.com/fnkit/fnkit/adapters/knative\n") {
		t.Error("the tag must leave the other adapters in")
	}

	bin := filepath.Join(t.TempDir(), "nocloudfunctions")
	if out, err := exec.Command("go", "build", "-tags", "fnkit_nocloudfunctions", "-o", bin, "./testdata/nocloudfunctions").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "FUNCTION_TARGET=Fn", "AWS_LAMBDA_RUNTIME_API=", "K_SERVICE=", "FUNCTIONS_CUSTOMHANDLER_PORT=", "FNKIT_PLATFORM=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Fatalf("want exit 3, got %v; stderr:\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), ErrNotLinked.Error()) || !strings.Contains(stderr.String(), "fnkit_nocloudfunctions") {
		t.Fatalf("stderr does not say why:\n%s", stderr.String())
	}
}
