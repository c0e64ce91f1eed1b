//go:build !fnkit_nocloudfunctions

package platform

import (
	"cmp"
	"context"
	"net/http"

	"github.com/fnkit/fnkit/adapters/cloudfunctions"
	"github.com/fnkit/fnkit/handler"
)

// cloudFunctionsConfig holds what Run passes to adapters/cloudfunctions.
type cloudFunctionsConfig struct {
	opts []cloudfunctions.Option
}

// WithCloudFunctionsOptions passes options to adapters/cloudfunctions. It
// does not exist in a build with the tag fnkit_nocloudfunctions.
func WithCloudFunctionsOptions(opts ...cloudfunctions.Option) Option {
	return func(c *config) { c.cloudfn.opts = append(c.cloudfn.opts, opts...) }
}

func (c *config) runCloudFunctions(ctx context.Context, h handler.Handler) error {
	cfg := cloudfunctions.ConfigFromEnv()
	fn := cloudfunctions.CloudEvent(cmp.Or(cfg.Target, DefaultFunctionName), h, c.cloudfn.opts...)
	return cloudfunctions.Start(ctx, cfg, fn)
}

func (c *config) runCloudFunctionsHTTP(ctx context.Context, h http.Handler) error {
	cfg := cloudfunctions.ConfigFromEnv()
	return cloudfunctions.Start(ctx, cfg, cloudfunctions.HTTP(cmp.Or(cfg.Target, DefaultFunctionName), h))
}
