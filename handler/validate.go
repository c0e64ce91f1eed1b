package handler

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/go-playground/validator/v10"
)

// defaultValidator is shared by every typed handler that does not bring its
// own: validator caches struct metadata per type, so one instance is the
// cheap way to use it. It is built on first use, never at init.
var defaultValidator = sync.OnceValue(NewValidator)

// NewValidator returns a validator configured as typed handlers expect:
// field errors are named by their JSON names. Use it as the base of a
// validator with custom rules passed to WithValidator.
func NewValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(jsonName)
	return v
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

// hasValidateTags reports whether t, or a type reachable from its fields,
// has a `validate` struct tag. Typed handlers skip validation of types
// without any, so plain structs cost nothing.
func hasValidateTags(t reflect.Type) bool {
	return walkTags(t, map[reflect.Type]bool{})
}

func walkTags(t reflect.Type, seen map[reflect.Type]bool) bool {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || seen[t] {
		return false
	}
	seen[t] = true
	for i := range t.NumField() {
		f := t.Field(i)
		if _, ok := f.Tag.Lookup("validate"); ok {
			return true
		}
		if walkTags(f.Type, seen) {
			return true
		}
	}
	return false
}

// isStructish reports whether validator.Struct accepts a *T.
func isStructish(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() == reflect.Struct
}

// validationError turns validator errors into an invalid-input error whose
// Fields name every failed field by its JSON path.
func validationError(err error, name string) error {
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return &Error{Class: ClassInvalidInput, Err: fmt.Errorf("validating %s: %w", name, err), Detail: "invalid data"}
	}
	fields := make([]FieldError, 0, len(verrs))
	var detail strings.Builder
	for i, fe := range verrs {
		path := fe.Namespace()
		if _, rest, ok := strings.Cut(path, "."); ok {
			path = rest // drop the Go type name validator puts first
		}
		msg := ruleMessage(fe)
		fields = append(fields, FieldError{Field: path, Rule: fe.Tag(), Message: msg})
		if i > 0 {
			detail.WriteString("; ")
		}
		detail.WriteString(path)
		detail.WriteString(": ")
		detail.WriteString(msg)
	}
	return &Error{Class: ClassInvalidInput, Err: err, Detail: detail.String(), Fields: fields}
}

// ruleMessage explains a failed validation rule in words.
func ruleMessage(fe validator.FieldError) string {
	p := fe.Param()
	unit := ""
	switch fe.Kind() {
	case reflect.String:
		unit = " characters"
	case reflect.Slice, reflect.Array, reflect.Map:
		unit = " items"
	}
	switch fe.Tag() {
	case "required", "required_if", "required_unless", "required_with", "required_without":
		return "is required"
	case "min":
		return "must be at least " + p + unit
	case "max":
		return "must be at most " + p + unit
	case "len":
		return "must be exactly " + p + unit
	case "gte":
		return "must be greater than or equal to " + p
	case "gt":
		return "must be greater than " + p
	case "lte":
		return "must be less than or equal to " + p
	case "lt":
		return "must be less than " + p
	case "eq":
		return "must equal " + p
	case "ne":
		return "must not equal " + p
	case "oneof":
		return "must be one of: " + p
	case "email":
		return "must be an email address"
	case "url", "uri", "http_url":
		return "must be a URL"
	case "uuid", "uuid4", "uuid7":
		return "must be a UUID"
	case "alphanum":
		return "must contain only letters and digits"
	case "datetime":
		return "must be a date/time in the layout " + p
	}
	if p != "" {
		return "failed rule " + fe.Tag() + "=" + p
	}
	return "failed rule " + fe.Tag()
}
