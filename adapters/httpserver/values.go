package httpserver

import (
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// unescapeHeader decodes a ce-* header value as the CloudEvents HTTP
// binding (§3.1.3.2) has it: first a double-quoted string is unquoted
// (backslash escapes included), then one round of percent-decoding; the
// result must be a valid attribute string (see checkString).
func unescapeHeader(v string) (string, error) {
	if len(v) > 0 && v[0] == '"' {
		u, err := unquote(v)
		if err != nil {
			return "", err
		}
		v = u
	}
	if strings.IndexByte(v, '%') >= 0 {
		u, err := url.PathUnescape(v)
		if err != nil {
			return "", fmt.Errorf("bad percent-encoding in %q", v)
		}
		v = u
	}
	return v, checkString(v)
}

// unquote removes the quotes of an RFC 9110 quoted-string and resolves
// its quoted pairs.
func unquote(v string) (string, error) {
	if len(v) < 2 || v[len(v)-1] != '"' {
		return "", fmt.Errorf("unterminated double-quoted value %q", v)
	}
	in := v[1 : len(v)-1]
	if strings.IndexByte(in, '\\') < 0 {
		if strings.IndexByte(in, '"') >= 0 {
			return "", fmt.Errorf("unescaped double quote inside %q", v)
		}
		return in, nil
	}
	var b strings.Builder
	for i := 0; i < len(in); i++ {
		switch c := in[i]; c {
		case '\\':
			if i+1 == len(in) {
				return "", fmt.Errorf("dangling backslash in %q", v)
			}
			i++
			b.WriteByte(in[i])
		case '"':
			return "", fmt.Errorf("unescaped double quote inside %q", v)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// checkString reports whether s is a valid CloudEvents String: valid
// UTF-8, without control characters (U+0000–U+001F, U+007F–U+009F) and
// without Unicode noncharacters, as the core specification requires.
// Surrogates cannot occur in valid UTF-8.
func checkString(s string) error {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return checkRunes(s[i:])
		}
	}
	return nil
}

func checkRunes(s string) error {
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			return fmt.Errorf("invalid UTF-8 at byte %d", i)
		case r < 0x20 || (r >= 0x7f && r <= 0x9f):
			return fmt.Errorf("control character U+%04X is not allowed", r)
		case (r >= 0xfdd0 && r <= 0xfdef) || r&0xfffe == 0xfffe:
			return fmt.Errorf("noncharacter U+%04X is not allowed", r)
		}
	}
	return nil
}

// parseTime parses an RFC 3339 timestamp as RFC 3339 allows it, which is
// wider than Go's layout: "t" and "z" may be lower case (§5.6), and the
// seconds may be 60 for a leap second (§5.7), which Go cannot represent
// and which becomes the first instant of the next minute.
func parseTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	b := []byte(v)
	if len(b) > 10 && b[10] == 't' {
		b[10] = 'T'
	}
	if n := len(b); n > 0 && b[n-1] == 'z' {
		b[n-1] = 'Z'
	}
	leap := false
	if len(b) >= 19 && b[17] == '6' && b[18] == '0' {
		b[18], leap = '9', true
		b[17] = '5'
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return time.Time{}, err
	}
	if leap {
		if u := t.UTC(); u.Hour() != 23 || u.Minute() != 59 {
			return time.Time{}, fmt.Errorf("leap second %q is not at the end of a UTC day", v)
		}
		t = t.Truncate(time.Second).Add(time.Second)
	}
	return t, nil
}
