package handler

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

var errNotBuiltin = errors.New("not a built-in rule")

// compileRule returns the check of rule name with param for values of
// type t (pointers already removed).
func compileRule(name, param string, t reflect.Type) (func(reflect.Value) bool, error) {
	switch name {
	case "min", "max", "len", "eq", "ne", "gt", "gte", "lt", "lte":
		return compileCompare(name, param, t)
	case "oneof":
		return compileOneOf(param, t)
	}
	if t.Kind() != reflect.String {
		if !isBuiltin(name) {
			return nil, errNotBuiltin
		}
		return nil, fmt.Errorf("needs a string, not %s", t)
	}
	var ok func(string) bool
	switch name {
	case "email":
		ok = isEmail
	case "url":
		ok = isURL
	case "uri":
		ok = func(s string) bool { _, err := url.ParseRequestURI(s); return err == nil }
	case "http_url":
		ok = isHTTPURL
	case "uuid":
		ok = func(s string) bool { return isUUID(s, 0) }
	case "uuid4":
		ok = func(s string) bool { return isUUID(s, '4') }
	case "alphanum":
		ok = isAlphanum
	case "datetime":
		if param == "" {
			return nil, errors.New("datetime needs a layout")
		}
		ok = func(s string) bool { _, err := time.Parse(param, s); return err == nil }
	default:
		return nil, errNotBuiltin
	}
	return func(v reflect.Value) bool { return ok(v.String()) }, nil
}

func isBuiltin(name string) bool {
	for _, r := range builtinRules {
		if r == name {
			return true
		}
	}
	return false
}

// compileCompare compiles the size rules: on strings they count runes, on
// slices, arrays and maps items, on numbers they compare the value.
func compileCompare(name, param string, t reflect.Type) (func(reflect.Value) bool, error) {
	if param == "" {
		return nil, fmt.Errorf("%s needs a parameter", name)
	}
	switch t.Kind() {
	case reflect.String, reflect.Slice, reflect.Array, reflect.Map:
		if t.Kind() == reflect.String && (name == "eq" || name == "ne") {
			return func(v reflect.Value) bool { return (v.String() == param) == (name == "eq") }, nil
		}
		n, err := strconv.Atoi(param)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%s=%s: the parameter must be a count", name, param)
		}
		size := func(v reflect.Value) int { return v.Len() }
		if t.Kind() == reflect.String {
			size = func(v reflect.Value) int { return utf8.RuneCountInString(v.String()) }
		}
		cmp := intCompare(name)
		return func(v reflect.Value) bool { return cmp(int64(size(v)), int64(n)) }, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if t == reflect.TypeFor[time.Duration]() {
			d, err := time.ParseDuration(param)
			if err != nil {
				return nil, fmt.Errorf("%s=%s: the parameter must be a duration: %w", name, param, err)
			}
			cmp := intCompare(name)
			return func(v reflect.Value) bool { return cmp(v.Int(), int64(d)) }, nil
		}
		n, err := strconv.ParseInt(param, 0, 64)
		if err != nil {
			return nil, fmt.Errorf("%s=%s: the parameter must be an integer", name, param)
		}
		cmp := intCompare(name)
		return func(v reflect.Value) bool { return cmp(v.Int(), n) }, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n, err := strconv.ParseUint(param, 0, 64)
		if err != nil {
			return nil, fmt.Errorf("%s=%s: the parameter must be a non-negative integer", name, param)
		}
		return func(v reflect.Value) bool { return compareOrdered(name, v.Uint(), n) }, nil
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(param, 64)
		if err != nil || math.IsNaN(f) {
			return nil, fmt.Errorf("%s=%s: the parameter must be a number", name, param)
		}
		return func(v reflect.Value) bool { return compareOrdered(name, v.Float(), f) }, nil
	}
	return nil, fmt.Errorf("%s is not built in for %s", name, t)
}

func intCompare(name string) func(a, b int64) bool {
	return func(a, b int64) bool { return compareOrdered(name, a, b) }
}

func compareOrdered[T int64 | uint64 | float64](name string, a, b T) bool {
	switch name {
	case "min", "gte":
		return a >= b
	case "max", "lte":
		return a <= b
	case "len", "eq":
		return a == b
	case "ne":
		return a != b
	case "gt":
		return a > b
	case "lt":
		return a < b
	}
	return false
}

// compileOneOf compiles oneof: the value is one of the space-separated
// words of param (a word with spaces is single-quoted).
func compileOneOf(param string, t reflect.Type) (func(reflect.Value) bool, error) {
	words := oneOfWords(param)
	if len(words) == 0 {
		return nil, errors.New("oneof needs at least one value")
	}
	switch t.Kind() {
	case reflect.String:
		return func(v reflect.Value) bool {
			s := v.String()
			for _, w := range words {
				if s == w {
					return true
				}
			}
			return false
		}, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		ns := make([]int64, len(words))
		for i, w := range words {
			n, err := strconv.ParseInt(w, 0, 64)
			if err != nil {
				return nil, fmt.Errorf("oneof value %q is not an integer", w)
			}
			ns[i] = n
		}
		return func(v reflect.Value) bool {
			for _, n := range ns {
				if v.Int() == n {
					return true
				}
			}
			return false
		}, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		ns := make([]uint64, len(words))
		for i, w := range words {
			n, err := strconv.ParseUint(w, 0, 64)
			if err != nil {
				return nil, fmt.Errorf("oneof value %q is not a non-negative integer", w)
			}
			ns[i] = n
		}
		return func(v reflect.Value) bool {
			for _, n := range ns {
				if v.Uint() == n {
					return true
				}
			}
			return false
		}, nil
	}
	return nil, fmt.Errorf("oneof is not built in for %s", t)
}

func oneOfWords(param string) []string {
	var words []string
	for param = strings.TrimSpace(param); param != ""; param = strings.TrimSpace(param) {
		if param[0] == '\'' {
			if end := strings.IndexByte(param[1:], '\''); end >= 0 {
				words = append(words, param[1:1+end])
				param = param[2+end:]
				continue
			}
		}
		w, rest, _ := strings.Cut(param, " ")
		words = append(words, w)
		param = rest
	}
	return words
}

// isEmail reports whether s is one address local@domain: a local part of
// at most 64 characters made of letters, digits and !#$%&'*+/=?^_`{|}~-
// in dot-separated atoms, and a domain of at least two dot-separated
// labels of letters, digits and inner hyphens. Quoted local parts and
// address literals are not accepted.
func isEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at > 64 || len(s)-at-1 > 253 {
		return false
	}
	local, domain := s[:at], s[at+1:]
	for _, atom := range strings.Split(local, ".") {
		if atom == "" {
			return false
		}
		for _, r := range atom {
			if !(r > unicode.MaxASCII && unicode.IsPrint(r) || r < unicode.MaxASCII && (isAlnumByte(byte(r)) || strings.ContainsRune("!#$%&'*+/=?^_`{|}~-", r))) {
				return false
			}
		}
	}
	return isDomain(domain, 2)
}

func isDomain(s string, minLabels int) bool {
	labels := strings.Split(s, ".")
	if len(labels) < minLabels {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r > unicode.MaxASCII && unicode.IsLetter(r) || r < unicode.MaxASCII && (isAlnumByte(byte(r)) || r == '-')) {
				return false
			}
		}
	}
	return true
}

func isAlnumByte(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9'
}

func isAlphanum(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnumByte(s[i]) {
			return false
		}
	}
	return true
}

// isURL reports whether s is an absolute URL: a file: URL, or a scheme
// with a host, an opaque part (mailto:a@example.com) or a fragment.
func isURL(s string) bool {
	if strings.HasPrefix(strings.ToLower(s), "file:") {
		return true
	}
	u, err := url.Parse(strings.ToLower(s))
	if err != nil || u.Scheme == "" {
		return false
	}
	return u.Host != "" || u.Opaque != "" || u.Fragment != ""
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return false
	}
	return strings.EqualFold(u.Scheme, "http") || strings.EqualFold(u.Scheme, "https")
}

// isUUID reports whether s is a UUID in its 8-4-4-4-12 hex form, of the
// given version digit unless it is 0.
func isUUID(s string, version byte) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", rune(s[i])) {
				return false
			}
		}
	}
	if version == 0 {
		return true
	}
	return s[14] == version && strings.ContainsRune("89abAB", rune(s[19]))
}
