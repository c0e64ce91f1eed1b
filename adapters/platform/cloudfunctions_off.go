//go:build fnkit_nocloudfunctions

package platform

import (
	"context"
	"fmt"
	"net/http"

	"github.com/fnkit/fnkit/handler"
)

// cloudFunctionsConfig is empty in a build without the Cloud Functions
// adapter.
type cloudFunctionsConfig struct{}

// notLinked is the error of Run and RunHTTP on Cloud Functions.
func (cloudFunctionsConfig) notLinked() error {
	return fmt.Errorf("%w: Cloud Functions (built with the tag fnkit_nocloudfunctions)", ErrNotLinked)
}

func (c *config) runCloudFunctions(context.Context, handler.Handler) error {
	return c.cloudfn.notLinked()
}

func (c *config) runCloudFunctionsHTTP(context.Context, http.Handler) error {
	return c.cloudfn.notLinked()
}
