package handler

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// A Validator checks the decoded input of a typed handler (see
// WithValidator). Validate gets a pointer to the input and returns nil
// when it is valid. An invalid input is best reported with
// ValidationError, which names each failed field; any other error is
// reported as invalid input too, with a generic detail for the client.
// A Validator must be safe for concurrent use.
type Validator interface {
	Validate(in any) error
}

// ValidationError returns the invalid-input error of an input whose
// fields failed validation: its Detail lists them ("items[0].sku: must be
// exactly 4 characters; …") and its Fields name each one. cause, if not
// nil, is kept as the error's cause (for errors.As).
func ValidationError(fields []FieldError, cause error) error {
	var detail strings.Builder
	for i, f := range fields {
		if i > 0 {
			detail.WriteString("; ")
		}
		detail.WriteString(f.Field)
		detail.WriteString(": ")
		detail.WriteString(f.Message)
	}
	d := detail.String()
	if cause == nil {
		cause = errors.New(d)
	}
	return &Error{Class: ClassInvalidInput, Err: cause, Detail: d, Fields: fields}
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

// isStructish reports whether a *T can be validated field by field.
func isStructish(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() == reflect.Struct
}

// validationFailed turns an error of a Validator into an invalid-input
// error: one that already is invalid input is kept as it is.
func validationFailed(err error, name string) error {
	if ClassOf(err) == ClassInvalidInput {
		return err
	}
	return &Error{Class: ClassInvalidInput, Err: fmt.Errorf("validating %s: %w", name, err), Detail: "invalid data"}
}

// RuleMessage explains a failed validation rule in words, as typed
// handlers report it: rule and param as written in the `validate` tag
// (max and 64 for max=64), kind the kind of the value checked (sizes of
// strings count characters, of slices and maps items). Validators use it
// so that every validator speaks the same way.
func RuleMessage(rule, param string, kind reflect.Kind) string {
	p := param
	unit := ""
	switch kind {
	case reflect.String:
		unit = " characters"
	case reflect.Slice, reflect.Array, reflect.Map:
		unit = " items"
	}
	switch rule {
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
		return "failed rule " + rule + "=" + p
	}
	return "failed rule " + rule
}
