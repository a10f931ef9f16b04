package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"
	"github.com/spf13/pflag"
)

// The printed summary must describe the file that was written.
func TestRunPrintsWhatItWrote(t *testing.T) {
	for _, format := range []string{"pcap", "pcapng"} {
		out := filepath.Join(t.TempDir(), "s."+format)
		fs := pflag.NewFlagSet("gencap", pflag.ContinueOnError)
		c := BindFlags(fs)
		if err := fs.Parse([]string{"-o", out, "--sample", "--packets", "3000", "--format", format}); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := run(c, fs, &buf); err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`: (\d+) packets, (\d+) bytes, (\d+) flows \((\d+) malicious\)`).FindStringSubmatch(buf.String())
		if m == nil {
			t.Fatalf("no summary line in %q", buf.String())
		}
		f, err := os.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		next := func() error { return nil }
		if format == "pcap" {
			r, err := pcapgo.NewReader(f)
			if err != nil {
				t.Fatal(err)
			}
			next = func() error { _, _, err := r.ReadPacketData(); return err }
		} else {
			r, err := pcapgo.NewNgReader(f, pcapgo.DefaultNgReaderOptions)
			if err != nil {
				t.Fatal(err)
			}
			next = func() error { _, _, err := r.ReadPacketData(); return err }
		}
		for {
			if err := next(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			n++
		}
		f.Close()
		if strconv.Itoa(n) != m[1] || n != 3000 {
			t.Errorf("%s: file has %d packets, summary printed %s", format, n, m[1])
		}
		if m[4] == "0" {
			t.Errorf("%s: --sample printed no malicious flows: %s", format, buf.String())
		}
	}
	fs := pflag.NewFlagSet("gencap", pflag.ContinueOnError)
	c := BindFlags(fs)
	_ = fs.Parse([]string{"-o", filepath.Join(t.TempDir(), "x"), "--format", "erf"})
	if err := run(c, fs, io.Discard); err == nil {
		t.Error("unknown format accepted")
	}
}
