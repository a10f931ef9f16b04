package appmeta

import (
	"unicode/utf8"
)

// printable copies b into a string that is safe in a CSV cell and a log
// line: printable UTF-8 is kept, control characters and bytes that are not
// UTF-8 become \xNN. The copy is the only allocation: an escaped value is
// built on the stack first unless it is long.
func printable(b []byte) string {
	if isClean(b) {
		return string(b)
	}
	var buf [256]byte
	return string(appendPrintable(buf[:0], b))
}

// isClean reports whether b is printable ASCII, which printable keeps as is.
func isClean(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// appendPrintable appends b to dst as printable renders it.
func appendPrintable(dst, b []byte) []byte {
	if isClean(b) {
		return append(dst, b...)
	}
	const hexd = "0123456789abcdef"
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 || r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
			dst = append(dst, '\\', 'x', hexd[b[0]>>4], hexd[b[0]&15])
			b = b[1:]
			continue
		}
		dst = append(dst, b[:n]...)
		b = b[n:]
	}
	return dst
}
