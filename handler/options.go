package handler

import (
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/cloudevents/sdk-go/v2/types"
)

// Option configures a typed handler made by Typed or TypedNoReply.
type Option func(*typedConfig)

type typedConfig struct {
	replyType    string
	lastType     *atomic.Pointer[[2]string] // request type → derived reply type
	replySource  *types.URIRef
	newID        func() string
	validator    Validator
	noValidation bool
	strictJSON   bool
}

// derivedReplyType returns reqType + ".reply", remembering the last one so
// that a handler receiving one event type does not allocate it each time.
func (c *typedConfig) derivedReplyType(reqType string) string {
	if last := c.lastType.Load(); last != nil && last[0] == reqType {
		return last[1]
	}
	pair := &[2]string{reqType, reqType + ".reply"}
	c.lastType.Store(pair)
	return pair[1]
}

// WithReplyType sets the type of reply events. By default a reply's type is
// the request's type followed by ".reply".
func WithReplyType(t string) Option {
	t = strings.TrimSpace(t)
	if t == "" {
		panic("handler: WithReplyType needs a non-empty type")
	}
	return func(c *typedConfig) { c.replyType = t }
}

// WithReplySource sets the source of reply events, a URI-reference such as
// "/orders" or "https://example.com/orders". By default a reply has the
// request's source. It panics if source is not a valid URI-reference.
func WithReplySource(source string) Option {
	u, err := url.Parse(strings.TrimSpace(source))
	if err != nil || source == "" {
		panic(fmt.Sprintf("handler: WithReplySource(%q): not a URI-reference: %v", source, err))
	}
	ref := &types.URIRef{URL: *u}
	return func(c *typedConfig) { c.replySource = ref }
}

// WithIDGenerator sets the function that makes reply ids. The default makes
// ids unique across processes without coordination. newID must be safe for
// concurrent use.
func WithIDGenerator(newID func() string) Option {
	if newID == nil {
		panic("handler: WithIDGenerator(nil)")
	}
	return func(c *typedConfig) { c.newID = newID }
}

// WithValidator validates inputs with v instead of the built-in rules.
// Without it, a struct input with `validate` tags is checked by fnkit's
// built-in rules: required, omitempty, dive, min, max, len, eq, ne, gt,
// gte, lt, lte, oneof, email, url, uri, http_url, uuid, uuid4, alphanum
// and datetime, meaning what they mean in go-playground/validator, and a
// typed handler whose input uses any other rule panics when it is made,
// naming the rule. For those rules, and for custom ones, pass
// playground.New() (package github.com/fnkit/fnkit/handler/playground),
// which links go-playground/validator only into the functions that use
// it. With a Validator every struct input is validated, with or without
// `validate` tags.
func WithValidator(v Validator) Option {
	if v == nil {
		panic("handler: WithValidator(nil)")
	}
	return func(c *typedConfig) { c.validator = v }
}

// WithoutValidation turns input validation off.
func WithoutValidation() Option {
	return func(c *typedConfig) { c.noValidation = true }
}

// WithStrictJSON makes JSON decoding reject unknown fields and trailing
// data, as invalid input.
func WithStrictJSON() Option {
	return func(c *typedConfig) { c.strictJSON = true }
}
