package handler

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// builtinRules lists the `validate` tag rules typed handlers check without
// a Validator (see WithValidator). They mean what they mean in
// go-playground/validator, so a type's tags keep their meaning when it
// moves to the playground validator.
var builtinRules = []string{
	"required", "omitempty", "dive",
	"min", "max", "len", "eq", "ne", "gt", "gte", "lt", "lte", "oneof",
	"email", "url", "uri", "http_url", "uuid", "uuid4", "alphanum", "datetime",
}

// tagValidator checks `validate` tags with the built-in rules. Its checks
// are compiled once per type, when the typed handler is made.
type tagValidator struct {
	root *structRules
}

// structRules are the compiled checks of one struct type.
type structRules struct {
	fields []fieldRules
}

// fieldRules are the checks of one struct field, or of one element of a
// dived slice or map (index -1).
type fieldRules struct {
	index     int
	name      string // JSON name
	omitempty bool
	required  bool
	rules     []rule
	nested    *structRules // a struct (or pointer to one) checked field by field
	dive      *fieldRules  // the checks of each element
}

// rule is one compiled check, such as max=64.
type rule struct {
	tag, param string
	kind       reflect.Kind // of the value checked, for the message
	ok         func(reflect.Value) bool
}

// compileCache keeps the compiled rules per type: typed handlers of the
// same input type share them.
var compileCache sync.Map // reflect.Type → *structRules

// newTagValidator compiles the rules of t (a struct or pointer to one). It
// panics, naming the field and the rule, on a rule that is not built in or
// a malformed parameter: a wiring mistake found at start-up.
func newTagValidator(t reflect.Type) *tagValidator {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	seen := map[reflect.Type]*structRules{}
	root := compileStruct(t, seen)
	// Cached only once complete: a recursive type's rules point at one
	// another while they are being filled in.
	for t, s := range seen {
		compileCache.LoadOrStore(t, s)
	}
	return &tagValidator{root: root}
}

func compileStruct(t reflect.Type, seen map[reflect.Type]*structRules) *structRules {
	if s, ok := compileCache.Load(t); ok {
		return s.(*structRules)
	}
	if s, ok := seen[t]; ok {
		return s // a recursive type: the same rules, filled in below
	}
	s := &structRules{}
	seen[t] = s
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("validate")
		if tag == "-" {
			continue
		}
		fr := compileField(t, f.Name, f.Type, splitTags(tag), seen)
		fr.index, fr.name = i, jsonName(f)
		if fr.name == "" {
			fr.name = f.Name
		}
		if fr.empty() {
			continue
		}
		s.fields = append(s.fields, fr)
	}
	return s
}

func (f *fieldRules) empty() bool {
	return !f.required && len(f.rules) == 0 && f.dive == nil && f.nested == nil
}

// splitTags splits a validate tag at its commas. A comma inside a rule's
// parameter is written 0x2C, as go-playground/validator reads it.
func splitTags(tag string) []string {
	if tag == "" {
		return nil
	}
	parts := strings.Split(tag, ",")
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(p, "0x2C", ",")
	}
	return parts
}

// compileField compiles the tags of a value of type t; owner and field
// name it in panics.
func compileField(owner reflect.Type, field string, t reflect.Type, tags []string, seen map[reflect.Type]*structRules) fieldRules {
	var fr fieldRules
	vt := t
	for vt.Kind() == reflect.Pointer {
		vt = vt.Elem()
	}
	for i, tag := range tags {
		name, param, _ := strings.Cut(tag, "=")
		switch name {
		case "":
			continue
		case "omitempty":
			fr.omitempty = true
			continue
		case "required":
			fr.required = true
			continue
		case "dive":
			switch vt.Kind() {
			case reflect.Slice, reflect.Array, reflect.Map:
			default:
				panicRule(owner, field, tag, "dive needs a slice, array or map")
			}
			d := compileField(owner, field, vt.Elem(), tags[i+1:], seen)
			d.index = -1
			fr.dive = &d
			return fr.withNested(vt, seen)
		}
		if strings.Contains(tag, "|") {
			panicRule(owner, field, tag, "alternatives (|) are not built in")
		}
		check, err := compileRule(name, param, vt)
		if err != nil {
			panicRule(owner, field, tag, err.Error())
		}
		fr.rules = append(fr.rules, rule{tag: name, param: param, kind: vt.Kind(), ok: check})
	}
	return fr.withNested(vt, seen)
}

// withNested adds the field-by-field checks of a struct value, as
// go-playground/validator checks nested structs without being told.
func (f fieldRules) withNested(vt reflect.Type, seen map[reflect.Type]*structRules) fieldRules {
	if vt.Kind() == reflect.Struct && hasValidateTags(vt) {
		f.nested = compileStruct(vt, seen)
	}
	return f
}

func panicRule(owner reflect.Type, field, tag, why string) {
	panic(fmt.Sprintf("handler: %s.%s: validate rule %q: %s; validate this type with go-playground/validator instead: handler.WithValidator(playground.New()) (package github.com/fnkit/fnkit/handler/playground)",
		owner, field, tag, why))
}

// Validate checks in, a pointer to the input.
func (v *tagValidator) Validate(in any) error {
	rv := reflect.ValueOf(in)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		rv = rv.Elem()
	}
	var fails []FieldError
	checkStruct(v.root, rv, "", &fails)
	if len(fails) == 0 {
		return nil
	}
	return ValidationError(fails, nil)
}

func checkStruct(s *structRules, v reflect.Value, prefix string, fails *[]FieldError) {
	for i := range s.fields {
		f := &s.fields[i]
		path := f.name
		if prefix != "" {
			path = prefix + "." + f.name
		}
		checkValue(f, v.Field(f.index), path, fails)
	}
}

// checkValue applies f to v and reports the first failed rule, as
// go-playground/validator does.
func checkValue(f *fieldRules, v reflect.Value, path string, fails *[]FieldError) {
	if !hasValue(v) {
		switch {
		case f.required:
			*fails = append(*fails, FieldError{Field: path, Rule: "required", Message: "is required"})
			return
		case f.omitempty:
			return
		}
	}
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return // nothing to check further: optional and absent
		}
		v = v.Elem()
	}
	for _, r := range f.rules {
		if !r.ok(v) {
			*fails = append(*fails, FieldError{Field: path, Rule: r.tag, Message: RuleMessage(r.tag, r.param, r.kind)})
			return
		}
	}
	if f.nested != nil {
		checkStruct(f.nested, v, path, fails)
	}
	if f.dive != nil {
		switch v.Kind() {
		case reflect.Slice, reflect.Array:
			for i := range v.Len() {
				checkValue(f.dive, v.Index(i), path+"["+strconv.Itoa(i)+"]", fails)
			}
		case reflect.Map:
			iter := v.MapRange()
			for iter.Next() {
				checkValue(f.dive, iter.Value(), path+"["+fmt.Sprint(iter.Key().Interface())+"]", fails)
			}
		}
	}
}

// hasValue reports whether v is set: a non-nil pointer, slice, map or
// interface, or a non-zero value of any other kind (a struct included, as
// go-playground/validator's WithRequiredStructEnabled reads required).
func hasValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface, reflect.Chan, reflect.Func:
		return !v.IsNil()
	case reflect.Invalid:
		return false
	}
	return !v.IsZero()
}
