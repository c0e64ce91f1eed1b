// Package ceheader holds the header-value encoding of the CloudEvents HTTP
// binding (1.0.2, §3.1.3.2), shared by the HTTP adapter (replies) and the
// HTTP publisher (requests).
package ceheader

import "strings"

// Escape percent-encodes what the binding requires of a header value:
// space, '"', '%' and anything outside printable ASCII. A value that needs
// nothing is returned as it is, without allocating.
func Escape(s string) string {
	i := 0
	for ; i < len(s); i++ {
		if mustEscape(s[i]) {
			break
		}
	}
	if i == len(s) {
		return s
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		if mustEscape(c) {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func mustEscape(c byte) bool { return c <= ' ' || c >= 0x7f || c == '"' || c == '%' }
