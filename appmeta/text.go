package appmeta

import (
	"unicode/utf8"
)

// printable copies b into a string that is safe in a CSV cell and a log
// line: printable UTF-8 is kept, control characters and bytes that are not
// UTF-8 become \xNN.
func printable(b []byte) string {
	clean := true
	for _, c := range b {
		if c < 0x20 || c >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return string(b)
	}
	const hexd = "0123456789abcdef"
	out := make([]byte, 0, len(b)+8)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 || r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
			out = append(out, '\\', 'x', hexd[b[0]>>4], hexd[b[0]&15])
			b = b[1:]
			continue
		}
		out = append(out, b[:n]...)
		b = b[n:]
	}
	return string(out)
}
