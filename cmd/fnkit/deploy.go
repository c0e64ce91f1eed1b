package main

import (
	"net/http"

	"fmt"
	"github.com/fnkit/fnkit/adapters/azurefunctions"
	"os"
	"path/filepath"
	"strings"
	"text/template"
)

// trigger is how a template is invoked, which decides its deployment
// descriptors.
type trigger string

const (
	triggerHTTP     trigger = "http"     // an HTTP API
	triggerStorage  trigger = "storage"  // object created in a bucket
	triggerEvents   trigger = "events"   // events on a bus it also publishes to (EventBridge, a Knative Broker)
	triggerSchedule trigger = "schedule" // a timer (EventBridge schedule, Cloud Scheduler, PingSource)
	triggerQueue    trigger = "queue"    // messages from a queue, in batches (SQS)
)

// deployment is what the descriptors of a scaffold need.
type deployment struct {
	Name      string  // the function's name (a DNS label)
	Module    string  // its module path (ko builds the image from it)
	Ready     string  // readiness probe path
	Live      string  // liveness probe path
	Target    string  // FUNCTION_TARGET on Cloud Functions
	Trigger   trigger // how it is invoked
	Lambda    bool    // its main runs on Lambda (through adapters/platform)
	NoKnative bool    // its main does not serve HTTP (a Lambda-only worker)
	// Azure lists the functions of its Azure Functions app (host.json and
	// function.json are generated from them), nil if it does not run there.
	Azure    func() (azurefunctions.HostConfig, []azurefunctions.Function)
	CloudFns bool // its main runs on Cloud Functions
}

// descriptors are written under deploy/ of a scaffold.
var descriptors = []struct {
	file string
	when func(d deployment) bool
	tmpl *template.Template
}{
	{"deploy/aws/template.yaml", func(d deployment) bool { return d.Lambda }, template.Must(template.New("sam").Parse(samTemplate))},
	{"deploy/gcp/deploy.sh", func(d deployment) bool { return d.CloudFns }, template.Must(template.New("gcloud").Parse(gcloudScript))},
	{"deploy/knative/service.yaml", func(d deployment) bool { return !d.NoKnative }, template.Must(template.New("kn").Parse(knativeService))},
}

// writeDescriptors writes the deployment descriptors of d into dir.
func writeDescriptors(dir string, d deployment) error {
	for _, desc := range descriptors {
		if !desc.when(d) {
			continue
		}
		var b strings.Builder
		if err := desc.tmpl.Execute(&b, d); err != nil {
			return fmt.Errorf("writing %s: %w", desc.file, err)
		}
		path := filepath.Join(dir, filepath.FromSlash(desc.file))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(path, ".sh") {
			mode = 0o755
		}
		if err := os.WriteFile(path, []byte(b.String()), mode); err != nil {
			return err
		}
	}
	if d.Azure == nil {
		return nil
	}
	host, fns := d.Azure()
	files, err := azurefunctions.Files(host, fns...)
	if err != nil {
		return fmt.Errorf("writing the Azure Functions files: %w", err)
	}
	for name, b := range files {
		path := filepath.Join(dir, "deploy", "azure", filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// samTemplate is an AWS SAM template: the function as a provided.al2023
// bootstrap built by SAM's Go builder (sam build; sam deploy --guided).
const samTemplate = `AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Description: {{.Name}}, an fnkit function (adapters/platform picks Lambda from AWS_LAMBDA_RUNTIME_API)

Resources:
{{- if eq .Trigger "storage"}}
  Uploads:
    Type: AWS::S3::Bucket
{{- else if eq .Trigger "events"}}
  Bus:
    Type: AWS::Events::EventBus
    Properties:
      Name: !Sub "${AWS::StackName}-events"
{{- else if eq .Trigger "queue"}}
  DeadLetters:
    Type: AWS::SQS::Queue
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 180
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt DeadLetters.Arn
        maxReceiveCount: 5
{{- end}}
  Function:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: go1.x
      BuildProperties:
        TrimGoPath: true
    Properties:
      CodeUri: ../..
      Handler: bootstrap
      Runtime: provided.al2023
      Architectures: [arm64]
      MemorySize: 256
      Timeout: 30
      Environment:
        Variables:
          FNKIT_PLATFORM: lambda
{{- if eq .Trigger "events"}}
          SAGA_EVENT_BUS: !Ref Bus
      Policies:
        - EventBridgePutEventsPolicy:
            EventBusName: !Ref Bus
{{- end}}
      Events:
{{- if eq .Trigger "http"}}
        Api:
          Type: HttpApi
{{- else if eq .Trigger "storage"}}
        Upload:
          Type: S3
          Properties:
            Bucket: !Ref Uploads
            Events: s3:ObjectCreated:*
{{- else if eq .Trigger "events"}}
        Steps:
          Type: EventBridgeRule
          Properties:
            EventBusName: !Ref Bus
            Pattern:
              detail-type:
                - prefix: com.example.
{{- else if eq .Trigger "schedule"}}
        Tick:
          Type: Schedule
          Properties:
            Schedule: cron(0 3 * * ? *)
            Description: runs {{.Name}} nightly at 03:00 UTC
{{- else if eq .Trigger "queue"}}
        Messages:
          Type: SQS
          Properties:
            Queue: !GetAtt Queue.Arn
            BatchSize: 10
            FunctionResponseTypes: [ReportBatchItemFailures]
{{- end}}
{{- if eq .Trigger "http"}}

Outputs:
  Endpoint:
    Value: !Sub "https://${ServerlessHttpApi}.execute-api.${AWS::Region}.amazonaws.com"
{{- end}}
`

// gcloudScript deploys to Cloud Functions (2nd gen).
const gcloudScript = `#!/usr/bin/env bash
# Deploys {{.Name}} to Google Cloud Functions (2nd gen); run from the
# project's root. REGION defaults to europe-west1.
set -euo pipefail
cd "$(dirname "$0")/../.."
gcloud functions deploy {{.Name}} \
  --gen2 \
  --runtime=go126 \
  --region="${REGION:-europe-west1}" \
  --source=. \
  --entry-point={{.Target}} \
{{- if eq .Trigger "http"}}
  --trigger-http \
  --allow-unauthenticated
{{- else if eq .Trigger "storage"}}
  --trigger-event-filters="type=google.cloud.storage.object.v1.finalized" \
  --trigger-event-filters="bucket=${BUCKET:?set BUCKET to the bucket to watch}"
{{- else if eq .Trigger "events"}}
  --trigger-topic="${TOPIC:-{{.Name}}-events}" \
  --set-env-vars="SAGA_PUBSUB_TOPIC=${TOPIC:-{{.Name}}-events},GOOGLE_CLOUD_PROJECT=$(gcloud config get-value project)"
{{- else if eq .Trigger "schedule"}}
  --trigger-topic="${TOPIC:-{{.Name}}-ticks}"
# Cloud Scheduler publishes a tick to the topic nightly at 03:00 UTC.
gcloud scheduler jobs create pubsub {{.Name}}-schedule \
  --location="${REGION:-europe-west1}" \
  --schedule="0 3 * * *" --time-zone=UTC \
  --topic="${TOPIC:-{{.Name}}-ticks}" \
  --message-body='{}' \
  || gcloud scheduler jobs update pubsub {{.Name}}-schedule \
  --location="${REGION:-europe-west1}" \
  --schedule="0 3 * * *" --time-zone=UTC \
  --topic="${TOPIC:-{{.Name}}-ticks}" \
  --message-body='{}'
{{- end}}
`

// knativeService is a Knative Service, plus a Trigger for event functions.
const knativeService = `apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: {{.Name}}
spec:
  template:
    spec:
      timeoutSeconds: 300
      containers:
        - image: ko://{{.Module}}
          ports:
            - containerPort: 8080
          readinessProbe:
            httpGet:
              path: {{.Ready}}
          livenessProbe:
            httpGet:
              path: {{.Live}}
{{- if eq .Trigger "storage"}}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata:
  name: {{.Name}}-uploads
spec:
  broker: default
  filter:
    attributes:
      type: google.cloud.storage.object.v1.finalized
  subscriber:
    ref:
      apiVersion: serving.knative.dev/v1
      kind: Service
      name: {{.Name}}
{{- else if eq .Trigger "events"}}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata:
  name: {{.Name}}-steps
spec:
  broker: default
  filters:
    - prefix:
        type: com.example.
  subscriber:
    ref:
      apiVersion: serving.knative.dev/v1
      kind: Service
      name: {{.Name}}
---
apiVersion: sources.knative.dev/v1
kind: SinkBinding
metadata:
  name: {{.Name}}-publishes
spec:
  subject:
    apiVersion: serving.knative.dev/v1
    kind: Service
    name: {{.Name}}
  sink:
    ref:
      apiVersion: eventing.knative.dev/v1
      kind: Broker
      name: default
{{- else if eq .Trigger "schedule"}}
---
apiVersion: sources.knative.dev/v1
kind: PingSource
metadata:
  name: {{.Name}}-schedule
spec:
  schedule: "0 3 * * *"
  timezone: UTC
  contentType: application/json
  data: '{}'
  sink:
    ref:
      apiVersion: serving.knative.dev/v1
      kind: Service
      name: {{.Name}}
{{- end}}
`

// dnsLabel makes a Kubernetes and Cloud Functions name of s.
func dnsLabel(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	name := strings.Trim(b.String(), "-")
	if len(name) > 63 {
		name = strings.Trim(name[:63], "-")
	}
	if name == "" || name[0] < 'a' || name[0] > 'z' {
		name = "fn-" + name
	}
	return name
}

// ordersOnAzure is the http-api template's Azure Functions app: one HTTP
// function for every path, the client's request forwarded (as
// examples/http-api' AzureFunction declares it), the binary named handler
// (GOOS=linux go build -o deploy/azure/handler .).
func ordersOnAzure() (azurefunctions.HostConfig, []azurefunctions.Function) {
	return azurefunctions.HostConfig{Executable: "handler", Forwarding: true},
		[]azurefunctions.Function{azurefunctions.HTTP("orders", http.NotFoundHandler(),
			azurefunctions.WithRoute("{*path}"), azurefunctions.WithAuthLevel("anonymous"))}
}
