package depcheck

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/fnkit/fnkit/"

// Heavy third-party dependencies, each allowed only where it belongs.
var (
	lambda    = "github.com/aws/aws-lambda-go"
	ffgo      = "github.com/GoogleCloudPlatform/functions-framework-go"
	redis     = "github.com/redis/go-redis"
	pgx       = "github.com/jackc/pgx"
	awssdk    = "github.com/aws/aws-sdk-go-v2"
	bolt      = "go.etcd.io/bbolt"
	otel      = "go.opentelemetry.io/otel"
	breaker   = "github.com/sony/gobreaker"
	validator = "github.com/go-playground/validator"
	sdkClient = "github.com/cloudevents/sdk-go/v2/client"
)

var drivers = []string{lambda, ffgo, redis, pgx, awssdk, bolt, otel, breaker}

// rules: package (relative to the module) → import path prefixes it must
// not link.
var rules = map[string][]string{
	"handler":             append(drivers, module+"adapters", module+"state", sdkClient),
	"handler/handlertest": append(drivers, module+"adapters", module+"state", sdkClient),
	"adapters/httpserver": append(drivers, module+"state", sdkClient),
	"state":               append(drivers, validator, "github.com/cloudevents", module+"handler"),
	"state/memstore":      append(drivers, module+"handler"),
	"state/boltstore":     {lambda, ffgo, redis, pgx, awssdk, otel, module + "handler"},
	"state/redisstore":    {lambda, ffgo, pgx, awssdk, bolt, otel, module + "handler"},
	"state/pgstore":       {lambda, ffgo, redis, awssdk, bolt, otel, module + "handler"},
	"state/dynamostore":   {lambda, ffgo, redis, pgx, bolt, otel, module + "handler"},
	"state/resilient":     {lambda, ffgo, redis, pgx, awssdk, bolt, otel, module + "handler"},
	"idempotency":         append(drivers, module+"adapters"),
	"middleware":          {lambda, ffgo, redis, pgx, awssdk, bolt, module + "adapters"},
	"examples/hello":      {lambda, ffgo, redis, pgx, awssdk, bolt},
}

func TestDependencyDirection(t *testing.T) {
	for pkg, forbidden := range rules {
		t.Run(pkg, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", module+pkg).CombinedOutput()
			if err != nil {
				t.Fatalf("go list: %v\n%s", err, out)
			}
			for _, dep := range strings.Fields(string(out)) {
				for _, f := range forbidden {
					if dep == f || strings.HasPrefix(dep, f+"/") {
						t.Errorf("%s links %s", pkg, dep)
					}
				}
			}
		})
	}
}
