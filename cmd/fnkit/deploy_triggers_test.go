package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// yamlDocs parses every YAML document of the file at path.
func yamlDocs(t *testing.T, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var docs []map[string]any
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var d map[string]any
		if err := dec.Decode(&d); errors.Is(err, io.EOF) {
			return docs
		} else if err != nil {
			t.Fatalf("%s is not valid YAML: %v\n%s", path, err, b)
		}
		docs = append(docs, d)
	}
}

// dig walks nested YAML maps by keys.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// TestScheduleAndEventsDescriptors: the descriptors of the schedule
// trigger (scheduled-job) and the events trigger (saga) are valid YAML or
// shell and carry what each platform needs.
func TestScheduleAndEventsDescriptors(t *testing.T) {
	sched := t.TempDir()
	if err := writeDescriptors(sched, deployment{Name: "nightly", Module: "example.com/nightly", Ready: "/readyz", Live: "/livez",
		Target: "NightlyJob", Trigger: triggerSchedule, Lambda: true, CloudFns: true}); err != nil {
		t.Fatal(err)
	}
	sam := yamlDocs(t, filepath.Join(sched, "deploy/aws/template.yaml"))
	tick := dig(sam[0], "Resources", "Function", "Properties", "Events", "Tick")
	if len(sam) != 1 || dig(tick, "Type") != "Schedule" || dig(tick, "Properties", "Schedule") != "cron(0 3 * * ? *)" {
		t.Fatalf("SAM: %v", sam)
	}
	kn := yamlDocs(t, filepath.Join(sched, "deploy/knative/service.yaml"))
	if len(kn) != 2 || kn[1]["kind"] != "PingSource" || dig(kn[1], "spec", "schedule") != "0 3 * * *" ||
		dig(kn[1], "spec", "sink", "ref", "name") != "nightly" || dig(kn[1], "spec", "sink", "ref", "kind") != "Service" {
		t.Fatalf("knative: %v", kn)
	}
	sh, err := os.ReadFile(filepath.Join(sched, "deploy/gcp/deploy.sh"))
	if err != nil || !strings.Contains(string(sh), `--trigger-topic="${TOPIC:-nightly-ticks}"`) ||
		!strings.Contains(string(sh), `gcloud scheduler jobs create pubsub nightly-schedule`) || !strings.Contains(string(sh), `--topic="${TOPIC:-nightly-ticks}"`) {
		t.Fatalf("gcloud script: %v\n%s", err, sh)
	}
	if out, err := exec.Command("bash", "-n", filepath.Join(sched, "deploy/gcp/deploy.sh")).CombinedOutput(); err != nil {
		t.Fatalf("the gcloud script is not valid shell: %v\n%s", err, out)
	}

	ev := t.TempDir()
	if err := writeDescriptors(ev, deployment{Name: "saga", Module: "example.com/saga", Ready: "/readyz", Live: "/livez",
		Target: "Saga", Trigger: triggerEvents, Lambda: true, CloudFns: true}); err != nil {
		t.Fatal(err)
	}
	sam = yamlDocs(t, filepath.Join(ev, "deploy/aws/template.yaml"))
	fn := dig(sam[0], "Resources", "Function", "Properties")
	if dig(sam[0], "Resources", "Bus", "Type") != "AWS::Events::EventBus" || dig(fn, "Events", "Steps", "Type") != "EventBridgeRule" ||
		dig(fn, "Environment", "Variables", "SAGA_EVENT_BUS") == nil || dig(fn, "Events", "Steps", "Properties", "EventBusName") == nil {
		t.Fatalf("SAM: %v", sam)
	}
	if pol, _ := dig(fn, "Policies").([]any); len(pol) != 1 || dig(pol[0], "EventBridgePutEventsPolicy", "EventBusName") == nil {
		t.Fatalf("SAM policies: %v", dig(fn, "Policies"))
	}
	kn = yamlDocs(t, filepath.Join(ev, "deploy/knative/service.yaml"))
	if len(kn) != 3 || kn[1]["kind"] != "Trigger" || dig(kn[1], "spec", "subscriber", "ref", "name") != "saga" ||
		kn[2]["kind"] != "SinkBinding" || dig(kn[2], "spec", "sink", "ref", "kind") != "Broker" {
		t.Fatalf("knative: %v", kn)
	}
	sh, err = os.ReadFile(filepath.Join(ev, "deploy/gcp/deploy.sh"))
	if err != nil || !strings.Contains(string(sh), `--trigger-topic="${TOPIC:-saga-events}"`) || !strings.Contains(string(sh), "SAGA_PUBSUB_TOPIC=${TOPIC:-saga-events}") {
		t.Fatalf("gcloud script: %v\n%s", err, sh)
	}
	if out, err := exec.Command("bash", "-n", filepath.Join(ev, "deploy/gcp/deploy.sh")).CombinedOutput(); err != nil {
		t.Fatalf("the gcloud script is not valid shell: %v\n%s", err, out)
	}
}
