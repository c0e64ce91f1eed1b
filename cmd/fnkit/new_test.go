package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// repoRoot is the fnkit checkout these tests run in.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// TestNewScaffoldsEveryTemplate: every template becomes a project whose
// go build and go test pass at once, with a replace to this checkout.
func TestNewScaffoldsEveryTemplate(t *testing.T) {
	root := repoRoot(t)
	for name := range templates {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "fn")
			mod := "example.com/acme/" + name
			code, out, errs := cli(t, "", "new", "--replace", root, name, mod, dir)
			if code != exitOK || !strings.Contains(out, "created "+dir) {
				t.Fatalf("exit %d: %s %s", code, out, errs)
			}
			gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
			if err != nil || !strings.HasPrefix(string(gomod), "module "+mod+"\n") || !strings.Contains(string(gomod), "replace github.com/fnkit/fnkit => "+root) {
				t.Fatalf("go.mod: %v\n%s", err, gomod)
			}
			if _, err := os.Stat(filepath.Join(dir, "go.sum")); err != nil {
				t.Fatalf("no go.sum: go mod tidy did not run: %v", err)
			}
			for _, args := range [][]string{{"build", "./..."}, {"vet", "./..."}, {"test", "-count=1", "./..."}} {
				cmd := exec.Command("go", args...)
				cmd.Dir = dir
				cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly")
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("go %s in the scaffold: %v\n%s", strings.Join(args, " "), err, out)
				}
			}
		})
	}
}

func TestNewRefusesBadInput(t *testing.T) {
	root := repoRoot(t)
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "keep.txt"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	otherModule := t.TempDir()
	if err := os.WriteFile(filepath.Join(otherModule, "go.mod"), []byte("module example.com/not/fnkit\n\ngo 1.26.0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	parent := t.TempDir()
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"unknown template", []string{"new", "--replace", root, "graphql", "example.com/x", filepath.Join(parent, "a")}, exitUsage, `unknown template "graphql"`},
		{"invalid module path", []string{"new", "--replace", root, "hello", "Not A Path", filepath.Join(parent, "b")}, exitUsage, "not a valid module path"},
		{"dotdot module path", []string{"new", "--replace", root, "hello", "example.com/../x", filepath.Join(parent, "c")}, exitUsage, "not a valid module path"},
		{"non-empty dir", []string{"new", "--replace", root, "hello", "example.com/x", full}, exitUsage, "exists and is not empty"},
		{"not a checkout", []string{"new", "--replace", filepath.Join(parent, "nowhere"), "hello", "example.com/x", filepath.Join(parent, "d")}, exitUsage, "not an fnkit checkout"},
		{"development build", []string{"new", "hello", "example.com/x", filepath.Join(parent, "e")}, exitUsage, "development build"},
		{"missing arguments", []string{"new", "hello"}, exitUsage, "want <template> <module-path>"},
		{"tidy fails", []string{"new", "--replace", otherModule, "hello", "example.com/x", filepath.Join(parent, "f")}, exitIO, "go mod tidy in the new project failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errs := cli(t, "", tt.args...)
			if code != tt.code || !strings.Contains(errs, tt.msg) {
				t.Fatalf("exit %d, want %d; stderr %q, want %q", code, tt.code, errs, tt.msg)
			}
		})
	}
	// Nothing half-written is left behind, and what was there is intact.
	if left, _ := os.ReadDir(parent); len(left) != 0 {
		t.Fatalf("left behind: %v", left)
	}
	if b, _ := os.ReadFile(filepath.Join(full, "keep.txt")); string(b) != "mine" {
		t.Fatal("the non-empty directory was changed")
	}
}

// TestNewWritesDeploymentDescriptors: the descriptors are valid YAML (or
// shell) and name what each platform needs.
func TestNewWritesDeploymentDescriptors(t *testing.T) {
	root := repoRoot(t)
	dir := filepath.Join(t.TempDir(), "photos")
	if code, _, errs := cli(t, "", "new", "--no-tidy", "--replace", root, "storage-processor", "example.com/acme/Photo_Sink", dir); code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var sam struct {
		Transform string `yaml:"Transform"`
		Resources map[string]struct {
			Type       string `yaml:"Type"`
			Properties struct {
				Runtime string `yaml:"Runtime"`
				Handler string `yaml:"Handler"`
				Events  map[string]struct {
					Type       string         `yaml:"Type"`
					Properties map[string]any `yaml:"Properties"`
				} `yaml:"Events"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	readYAML(t, filepath.Join(dir, "deploy/aws/template.yaml"), &sam)
	fn := sam.Resources["Function"]
	if sam.Transform != "AWS::Serverless-2016-10-31" || fn.Type != "AWS::Serverless::Function" || fn.Properties.Runtime != "provided.al2023" ||
		fn.Properties.Handler != "bootstrap" || fn.Properties.Events["Upload"].Type != "S3" || sam.Resources["Uploads"].Type != "AWS::S3::Bucket" {
		t.Fatalf("SAM template: %+v", sam)
	}
	docs := readYAMLDocs(t, filepath.Join(dir, "deploy/knative/service.yaml"))
	if len(docs) != 2 || docs[0]["kind"] != "Service" || docs[1]["kind"] != "Trigger" ||
		docs[0]["metadata"].(map[string]any)["name"] != "photo-sink" {
		t.Fatalf("knative: %v", docs)
	}
	sh, err := os.ReadFile(filepath.Join(dir, "deploy/gcp/deploy.sh"))
	if err != nil || !strings.Contains(string(sh), "--entry-point=OnUpload") || !strings.Contains(string(sh), "type=google.cloud.storage.object.v1.finalized") {
		t.Fatalf("gcloud script: %v\n%s", err, sh)
	}
	if out, err := exec.Command("bash", "-n", filepath.Join(dir, "deploy/gcp/deploy.sh")).CombinedOutput(); err != nil {
		t.Fatalf("the gcloud script is not valid shell: %v\n%s", err, out)
	}

	api := filepath.Join(t.TempDir(), "api")
	if code, _, errs := cli(t, "", "new", "--no-tidy", "--replace", root, "http-api", "example.com/acme/api", api); code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var host struct {
		CustomHandler struct {
			Description struct {
				DefaultExecutablePath string `json:"defaultExecutablePath"`
			} `json:"description"`
			EnableForwardingHTTPRequest bool `json:"enableForwardingHttpRequest"`
		} `json:"customHandler"`
	}
	var fnJSON struct {
		Bindings []map[string]any `json:"bindings"`
	}
	for path, v := range map[string]any{"deploy/azure/host.json": &host, "deploy/azure/orders/function.json": &fnJSON} {
		b, err := os.ReadFile(filepath.Join(api, path))
		if err != nil || json.Unmarshal(b, v) != nil {
			t.Fatalf("%s: %v\n%s", path, err, b)
		}
	}
	if host.CustomHandler.Description.DefaultExecutablePath != "handler" || !host.CustomHandler.EnableForwardingHTTPRequest ||
		len(fnJSON.Bindings) == 0 || fnJSON.Bindings[0]["type"] != "httpTrigger" || fnJSON.Bindings[0]["route"] != "{*path}" {
		t.Fatalf("Azure files: host %+v function %+v", host, fnJSON)
	}
	readYAML(t, filepath.Join(api, "deploy/aws/template.yaml"), &sam)
	if sam.Resources["Function"].Properties.Events["Api"].Type != "HttpApi" {
		t.Fatalf("http-api SAM template: %+v", sam)
	}
	if docs := readYAMLDocs(t, filepath.Join(api, "deploy/knative/service.yaml")); len(docs) != 1 {
		t.Fatalf("an HTTP function needs no Trigger: %v", docs)
	}
	hello := filepath.Join(t.TempDir(), "hello")
	if code, _, errs := cli(t, "", "new", "--no-tidy", "--replace", root, "hello", "example.com/acme/hello", hello); code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(hello, "deploy/aws")); err == nil {
		t.Fatal("hello does not run on Lambda, yet got a SAM template")
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s is not valid YAML: %v\n%s", path, err, b)
	}
}

func readYAMLDocs(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var docs []map[string]any
	dec := yaml.NewDecoder(f)
	for {
		var d map[string]any
		if err := dec.Decode(&d); err != nil {
			if err.Error() == "EOF" {
				return docs
			}
			t.Fatalf("%s: %v", path, err)
		}
		docs = append(docs, d)
	}
}
