// Package middleware holds fnkit's handler middleware, one file per
// concern. Each constructor returns a handler.Middleware; compose them with
// handler.Chain, the first outermost.
package middleware
