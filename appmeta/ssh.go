package appmeta

import "bytes"

// maxSSHPreamble bounds the bytes scanned for the version line; RFC 4253
// lets a server send other lines first, each at most 255 bytes.
const maxSSHPreamble = 2048

func looksSSH(p []byte) bool {
	return len(p) >= 4 && string(p[:4]) == "SSH-" || len(p) < 4 && bytes.HasPrefix([]byte("SSH-"), p)
}

// parseSSHBanner finds the "SSH-" version line in the first bytes of a
// direction. Other lines may precede it only when preamble is allowed
// (the server side).
func parseSSHBanner(p []byte, preamble, capped bool) (string, status) {
	for off := 0; off < len(p) && off < maxSSHPreamble; {
		rest := p[off:]
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			if !looksSSH(rest) && !preamble {
				return "", failed
			}
			if capped || len(rest) > 255 {
				return "", failed
			}
			return "", needMore
		}
		line := bytes.TrimSuffix(rest[:i], []byte{'\r'})
		if len(line) >= 4 && string(line[:4]) == "SSH-" {
			if len(line) > 255 {
				line = line[:255]
			}
			return printable(line), parsed
		}
		if !preamble {
			return "", failed
		}
		off += i + 1
		if off == len(p) && off < maxSSHPreamble && !capped {
			return "", needMore
		}
	}
	return "", failed
}
