// Package playground validates the inputs of typed handlers with
// go-playground/validator, for the rules fnkit does not build in
// (required_if, excluded_with, hostname, iso3166_1_alpha2, …) and for
// custom ones:
//
//	v := playground.NewValidate()
//	_ = v.RegisterValidation("sku", isSKU)
//	h := handler.Typed(create, handler.WithValidator(playground.Wrap(v)))
//
// Typed handlers check the common rules without it (see
// handler.WithValidator); importing this package is what links
// go-playground/validator into a function, with its start-up cost (about
// a millisecond of package initialisation and 3 MiB of binary, see
// BENCHMARKS.md). Failures are reported as the built-in rules report
// them: invalid-input errors naming each field by its JSON path, with the
// messages of handler.RuleMessage.
package playground

import (
	"errors"
	"reflect"
	"strings"

	"github.com/go-playground/validator/v10"

	"github.com/fnkit/fnkit/handler"
)

// Validator is a handler.Validator backed by a *validator.Validate.
type Validator struct {
	v *validator.Validate
}

// New returns a Validator using NewValidate's configuration.
func New() *Validator { return Wrap(NewValidate()) }

// Wrap returns a Validator using v, typically made by NewValidate and
// given custom rules. It panics if v is nil.
func Wrap(v *validator.Validate) *Validator {
	if v == nil {
		panic("playground: Wrap(nil)")
	}
	return &Validator{v: v}
}

// NewValidate returns a *validator.Validate configured as typed handlers
// expect: required applies to structs, and fields are named by their JSON
// names. Register custom rules on it, then Wrap it.
func NewValidate() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(jsonName)
	return v
}

// Validate checks in, a pointer to a struct. Failed fields are reported
// with handler.ValidationError; other errors of the validator (such as
// an input that is not a struct) are returned as they are.
func (p *Validator) Validate(in any) error {
	err := p.v.Struct(in)
	if err == nil {
		return nil
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return err
	}
	fields := make([]handler.FieldError, len(verrs))
	for i, fe := range verrs {
		path := fe.Namespace()
		if _, rest, ok := strings.Cut(path, "."); ok {
			path = rest // drop the Go type name validator puts first
		}
		fields[i] = handler.FieldError{Field: path, Rule: fe.Tag(), Message: handler.RuleMessage(fe.Tag(), fe.Param(), fe.Kind())}
	}
	return handler.ValidationError(fields, err)
}

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	switch name {
	case "-":
		return ""
	case "":
		return f.Name
	}
	return name
}
