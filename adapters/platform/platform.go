// Package platform runs one function binary anywhere: Run and RunHTTP pick
// the adapter from the environment the platform sets, log which one they
// chose and why, and serve.
//
//	AWS_LAMBDA_RUNTIME_API set        AWS Lambda          adapters/awslambda
//	FUNCTIONS_CUSTOMHANDLER_PORT set  Azure Functions     adapters/azurefunctions (the functions of WithAzureFunctions)
//	FUNCTION_TARGET set               Cloud Functions     adapters/cloudfunctions
//	K_SERVICE set                     Knative, Cloud Run  adapters/knative
//	otherwise                         local               adapters/httpserver on $HOST:$PORT (default :8080)
//
// FNKIT_PLATFORM (lambda, azurefunctions, cloudfunctions, knative or
// local), or the
// WithPlatform option, forces a choice. The same handler then runs
// unchanged on each: event handlers (Run) behind every trigger of the
// platform, http.Handlers (RunHTTP) behind its HTTP front end (API
// Gateway, ALB and Function URLs on Lambda).
//
// This package links every adapter, by design. A function that wants the
// smallest binary imports the one adapter it runs on instead (BENCHMARKS.md
// gives the sizes). The Cloud Functions adapter is the costly one to link
// (functions-framework-go and the CloudEvents SDK client: 0.75 MiB and
// about 0.2 ms of package init in every process, wherever it runs); a
// binary that never runs on Cloud Functions can leave it out with the
// build tag fnkit_nocloudfunctions, and Run then refuses that platform
// with ErrNotLinked.
//
// Complete functions using it, which "fnkit new" scaffolds:
// [github.com/fnkit/fnkit/examples/storage-processor],
// [github.com/fnkit/fnkit/examples/saga],
// [github.com/fnkit/fnkit/examples/scheduled-job].
package platform

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"

	"github.com/fnkit/fnkit/adapters/awslambda"
	"github.com/fnkit/fnkit/adapters/azurefunctions"
	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/adapters/knative"
	"github.com/fnkit/fnkit/handler"
)

// Platform names where a function runs.
type Platform string

// The platforms Run recognises.
const (
	Lambda         Platform = "lambda"
	Azure          Platform = "azurefunctions"
	CloudFunctions Platform = "cloudfunctions"
	Knative        Platform = "knative"
	Local          Platform = "local"
)

// EnvPlatform forces the platform.
const EnvPlatform = "FNKIT_PLATFORM"

// DefaultFunctionName names the function on Cloud Functions when
// FUNCTION_TARGET does not (it always does there).
const DefaultFunctionName = "Function"

// Detect tells the platform from the environment (getenv is os.Getenv in
// production), with the reason. An unknown FNKIT_PLATFORM is an error.
func Detect(getenv func(string) string) (Platform, string, error) {
	if forced := getenv(EnvPlatform); forced != "" {
		switch p := Platform(forced); p {
		case Lambda, Azure, CloudFunctions, Knative, Local:
			return p, EnvPlatform + "=" + forced, nil
		}
		return "", "", fmt.Errorf("platform: %s=%q: want lambda, azurefunctions, cloudfunctions, knative or local", EnvPlatform, forced)
	}
	switch {
	case getenv("AWS_LAMBDA_RUNTIME_API") != "":
		return Lambda, "AWS_LAMBDA_RUNTIME_API is set", nil
	case getenv(azurefunctions.EnvPort) != "":
		return Azure, azurefunctions.EnvPort + " is set", nil
	case getenv("FUNCTION_TARGET") != "":
		return CloudFunctions, "FUNCTION_TARGET is set", nil
	case getenv("K_SERVICE") != "":
		return Knative, "K_SERVICE is set", nil
	}
	return Local, "no platform variable is set (AWS_LAMBDA_RUNTIME_API, " + azurefunctions.EnvPort + ", FUNCTION_TARGET, K_SERVICE)", nil
}

// Option configures Run and RunHTTP.
type Option func(*config)

type config struct {
	platform Platform
	logger   *slog.Logger
	getenv   func(string) string
	lambda   []awslambda.Option
	cloudfn  cloudFunctionsConfig
	knative  []knative.Option
	azureFns []azurefunctions.Function
	azure    []azurefunctions.Option
	http     []httpserver.Option
	server   []httpserver.ServerOption
}

// WithPlatform forces the platform, ahead of FNKIT_PLATFORM.
func WithPlatform(p Platform) Option {
	switch p {
	case Lambda, Azure, CloudFunctions, Knative, Local:
	default:
		panic(fmt.Sprintf("platform: WithPlatform(%q): unknown platform", p))
	}
	return func(c *config) { c.platform = p }
}

// WithLogger sets the logger of the choice and of the adapters; the
// default is slog.Default().
func WithLogger(l *slog.Logger) Option {
	if l == nil {
		panic("platform: WithLogger(nil)")
	}
	return func(c *config) { c.logger = l }
}

// WithLambdaOptions, WithCloudFunctionsOptions, WithKnativeOptions,
// WithHTTPOptions and WithServerOptions pass options to the adapter in
// use; the others ignore them.
func WithLambdaOptions(opts ...awslambda.Option) Option {
	return func(c *config) { c.lambda = append(c.lambda, opts...) }
}

// WithKnativeOptions passes options to adapters/knative.
func WithKnativeOptions(opts ...knative.Option) Option {
	return func(c *config) { c.knative = append(c.knative, opts...) }
}

// WithAzureFunctions gives the functions of an Azure Functions app, each
// with its trigger binding (azurefunctions.StorageQueue, EventGrid, HTTP,
// …): on Azure, Run and RunHTTP serve these, since the Functions host
// invokes a custom handler per function name and binding. Elsewhere they
// are ignored.
func WithAzureFunctions(fns ...azurefunctions.Function) Option {
	return func(c *config) { c.azureFns = append(c.azureFns, fns...) }
}

// WithAzureOptions passes options to adapters/azurefunctions.
func WithAzureOptions(opts ...azurefunctions.Option) Option {
	return func(c *config) { c.azure = append(c.azure, opts...) }
}

// WithHTTPOptions passes options to httpserver.New in local runs.
func WithHTTPOptions(opts ...httpserver.Option) Option {
	return func(c *config) { c.http = append(c.http, opts...) }
}

// WithServerOptions passes options to httpserver's server in local and
// Knative runs, after those of the environment (FNKIT_DRAIN_DELAY,
// FNKIT_GRACE_PERIOD).
func WithServerOptions(opts ...httpserver.ServerOption) Option {
	return func(c *config) { c.server = append(c.server, opts...) }
}

// withGetenv replaces os.Getenv, for tests.
func withGetenv(getenv func(string) string) Option {
	return func(c *config) { c.getenv = getenv }
}

// choose resolves the options and the platform, and logs the choice.
func choose(ctx context.Context, opts []Option, kind string) (*config, Platform, error) {
	c := &config{getenv: os.Getenv}
	for _, o := range opts {
		o(c)
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	p, why := c.platform, "WithPlatform"
	if p == "" {
		var err error
		if p, why, err = Detect(c.getenv); err != nil {
			return nil, "", err
		}
	}
	c.logger.LogAttrs(ctx, slog.LevelInfo, "fnkit platform", slog.String("platform", string(p)),
		slog.String("reason", why), slog.String("handler", kind))
	return c, p, nil
}

// Run serves the event handler h on the platform it runs on until ctx
// ends or the platform stops the process (on Lambda, until the process
// ends: the runtime loop does not return).
func Run(ctx context.Context, h handler.Handler, opts ...Option) error {
	c, p, err := choose(ctx, opts, "event")
	if err != nil {
		return err
	}
	switch p {
	case Lambda:
		return awslambda.New(h, c.lambda...).Start()
	case Azure:
		return c.runAzure(ctx)
	case CloudFunctions:
		return c.runCloudFunctions(ctx, h)
	case Knative:
		cfg, err := knative.ConfigFromEnv()
		if err != nil {
			return err
		}
		kopts := append([]knative.Option{knative.WithServerOptions(append([]httpserver.ServerOption{httpserver.WithServerLogger(c.logger)}, c.server...)...)}, c.knative...)
		return knative.ListenAndServe(ctx, cfg, h, kopts...)
	}
	return c.local(ctx, httpserver.New(h, append([]httpserver.Option{httpserver.WithLogger(c.logger)}, c.http...)...))
}

// RunHTTP serves the http.Handler h on the platform it runs on, like Run.
func RunHTTP(ctx context.Context, h http.Handler, opts ...Option) error {
	c, p, err := choose(ctx, opts, "http")
	if err != nil {
		return err
	}
	switch p {
	case Lambda:
		return awslambda.NewHTTP(h, c.lambda...).Start()
	case Azure:
		return c.runAzure(ctx)
	case CloudFunctions:
		return c.runCloudFunctionsHTTP(ctx, h)
	case Knative:
		cfg, err := knative.ConfigFromEnv()
		if err != nil {
			return err
		}
		return knative.ListenAndServeHTTP(ctx, cfg, h, append([]httpserver.ServerOption{httpserver.WithServerLogger(c.logger)}, c.server...)...)
	}
	return c.local(ctx, h)
}

// ErrNotLinked is returned by Run and RunHTTP for a platform whose adapter
// the binary was built without (the build tag fnkit_nocloudfunctions).
var ErrNotLinked = errors.New("platform: this binary was built without the adapter of the platform it runs on")

// ErrNoAzureFunctions is returned on Azure Functions without
// WithAzureFunctions: the host invokes functions by name and binding, which
// a single handler does not say.
var ErrNoAzureFunctions = errors.New("platform: on Azure Functions, name the functions and their bindings with WithAzureFunctions")

// runAzure serves the Azure functions as a custom handler.
func (c *config) runAzure(ctx context.Context) error {
	if len(c.azureFns) == 0 {
		return ErrNoAzureFunctions
	}
	cfg, err := azurefunctions.ConfigFromEnv()
	if err != nil {
		return err
	}
	opts := append([]azurefunctions.Option{azurefunctions.WithLogger(c.logger), azurefunctions.WithServerOptions(c.server...)}, c.azure...)
	return azurefunctions.ListenAndServe(ctx, cfg, c.azureFns, opts...)
}

// local serves h on $HOST:$PORT (default all interfaces, port 8080) with
// httpserver.ListenAndServe.
func (c *config) local(ctx context.Context, h http.Handler) error {
	envOpts, err := httpserver.ServerOptionsFromEnv()
	if err != nil {
		return err
	}
	sopts := append(append(envOpts, httpserver.WithServerLogger(c.logger)), c.server...)
	return httpserver.ListenAndServe(ctx, net.JoinHostPort(c.getenv("HOST"), cmp.Or(c.getenv("PORT"), "8080")), h, sopts...)
}
