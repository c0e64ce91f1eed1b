package events

import (
	"bytes"
	"errors"
	"fmt"
)

// A small, allocation-free walker over JSON text, used to recognise the
// shape of AWS payloads and to split record arrays without decoding
// them. It checks structure (brackets, strings, escapes) as it skips; the
// full decode of each record checks the rest.

var errAWSTruncated = errors.New("truncated JSON")

func awsIsSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func awsSkipSpace(b []byte, i int) int {
	for i < len(b) && awsIsSpace(b[i]) {
		i++
	}
	return i
}

// awsSkipString returns the index after the string starting at b[i] ('"').
// It finds quotes with bytes.IndexByte and checks that each is not
// escaped; encoding/json checks the rest when the record is decoded.
func awsSkipString(b []byte, i int) (int, error) {
	j := i + 1
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return 0, errAWSTruncated
		}
		q := j + k
		n := 0
		for p := q - 1; p > i && b[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return q + 1, nil
		}
		j = q + 1
	}
}

// awsSkipValue returns the index after the JSON value starting at b[i].
func awsSkipValue(b []byte, i int) (int, error) {
	i = awsSkipSpace(b, i)
	if i >= len(b) {
		return 0, errAWSTruncated
	}
	switch c := b[i]; c {
	case '"':
		return awsSkipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				j, err := awsSkipString(b, i)
				if err != nil {
					return 0, err
				}
				i = j
				continue
			case '{', '[':
				depth++
				if depth > 1000 {
					return 0, fmt.Errorf("JSON nested deeper than 1000 levels at offset %d", i)
				}
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, nil
				}
			}
			i++
		}
		return 0, errAWSTruncated
	default:
		if c == '-' || c >= '0' && c <= '9' || c == 't' || c == 'f' || c == 'n' {
			j := i
			for j < len(b) && !awsIsSpace(b[j]) && b[j] != ',' && b[j] != '}' && b[j] != ']' {
				j++
			}
			return j, nil
		}
		return 0, fmt.Errorf("invalid character %q at offset %d", c, i)
	}
}

// awsEachMember calls fn with the raw key (without quotes) and raw value of
// every member of the object b, until fn returns false.
func awsEachMember(b []byte, fn func(key, val []byte) bool) error {
	_, err := awsEachMemberEnd(b, fn)
	return err
}

// awsEachMemberEnd is awsEachMember returning the offset after the object
// (or after the last member fn saw, when it stopped early).
func awsEachMemberEnd(b []byte, fn func(key, val []byte) bool) (int, error) {
	i := awsSkipSpace(b, 0)
	if i >= len(b) {
		return 0, errAWSTruncated
	}
	if b[i] != '{' {
		return 0, errAWSNotObject
	}
	i = awsSkipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		i = awsSkipSpace(b, i)
		if i >= len(b) {
			return 0, errAWSTruncated
		}
		if b[i] != '"' {
			return 0, fmt.Errorf("invalid character %q at offset %d: want an object key", b[i], i)
		}
		end, err := awsSkipString(b, i)
		if err != nil {
			return 0, err
		}
		key := b[i+1 : end-1]
		i = awsSkipSpace(b, end)
		if i >= len(b) {
			return 0, errAWSTruncated
		}
		if b[i] != ':' {
			return 0, fmt.Errorf("invalid character %q at offset %d: want ':'", b[i], i)
		}
		vs := awsSkipSpace(b, i+1)
		ve, err := awsSkipValue(b, vs)
		if err != nil {
			return 0, err
		}
		if !fn(key, b[vs:ve]) {
			return ve, nil
		}
		i = awsSkipSpace(b, ve)
		if i >= len(b) {
			return 0, errAWSTruncated
		}
		switch b[i] {
		case ',':
			i++
		case '}':
			return i + 1, nil
		default:
			return 0, fmt.Errorf("invalid character %q at offset %d: want ',' or '}'", b[i], i)
		}
	}
}

var errAWSNotObject = errors.New("not a JSON object")

// awsSplitArray returns the raw elements of the JSON array b.
func awsSplitArray(b []byte) ([][]byte, error) {
	i := awsSkipSpace(b, 0)
	if i >= len(b) {
		return nil, errAWSTruncated
	}
	if b[i] != '[' {
		return nil, errors.New("not a JSON array")
	}
	i = awsSkipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return nil, nil
	}
	n := bytes.Count(b, []byte(`},{`)) + 1 // a guess for capacity
	if n > 10000 {
		n = 10000
	}
	out := make([][]byte, 0, n)
	for {
		vs := awsSkipSpace(b, i)
		ve, err := awsSkipValue(b, vs)
		if err != nil {
			return nil, err
		}
		out = append(out, b[vs:ve])
		i = awsSkipSpace(b, ve)
		if i >= len(b) {
			return nil, errAWSTruncated
		}
		switch b[i] {
		case ',':
			i++
		case ']':
			return out, nil
		default:
			return nil, fmt.Errorf("invalid character %q at offset %d: want ',' or ']'", b[i], i)
		}
	}
}

// awsMember returns the raw value of the member key of object b, or nil.
func awsMember(b []byte, key string) []byte {
	var out []byte
	_ = awsEachMember(b, func(k, v []byte) bool {
		if string(k) == key {
			out = v
			return false
		}
		return true
	})
	return out
}

// awsRawString returns the contents of the raw JSON string v when it has no
// escapes, and ok=false otherwise.
func awsRawString(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' || bytes.IndexByte(v, '\\') >= 0 {
		return "", false
	}
	return string(v[1 : len(v)-1]), true
}

// awsLooksLikeStructuredEvent reports whether b is a JSON object with a
// top-level "specversion" member: a structured-mode CloudEvent.
func awsLooksLikeStructuredEvent(b []byte) bool {
	i := awsSkipSpace(b, 0)
	if i >= len(b) || b[i] != '{' || !bytes.Contains(b, []byte(`"specversion"`)) {
		return false
	}
	return awsMember(b, "specversion") != nil
}
