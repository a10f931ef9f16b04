package capture

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/flowclass/flowclass/internal/testdata"
)

// FuzzOpenFile writes arbitrary bytes as a file and reads it as a capture:
// reading must end (EOF or an error) without a panic, and never deliver a
// record longer than the file.
func FuzzOpenFile(f *testing.F) {
	pcapHdr := []byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0}
	rec := []byte{1, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 1, 2, 3, 4}
	f.Add(append(append([]byte{}, pcapHdr...), rec...))
	f.Add(pcapHdr[:10])
	ng := []byte{0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 28, 0, 0, 0}
	f.Add(ng)
	f.Add([]byte("not a capture at all"))
	f.Add(gzipBytes(f, append(append([]byte{}, pcapHdr...), rec...)))
	// Heads of real captures (pcap and pcapng), when the shared captures are here.
	for _, head := range testdata.CaptureHeads(f, 4096) {
		f.Add(head)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "f.pcap")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := OpenFile(p)
		if err != nil {
			return
		}
		defer c.Close()
		var r Record
		for i := 0; ; i++ {
			err := c.Next(&r)
			if errors.Is(err, io.EOF) || err != nil {
				return
			}
			if len(r.Data) > len(data) {
				t.Fatalf("record of %d bytes from a %d-byte file", len(r.Data), len(data))
			}
			if i > len(data) {
				t.Fatalf("more records than bytes: a loop")
			}
		}
	})
}
