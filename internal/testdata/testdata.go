// Package testdata locates the shared labelled captures for tests and
// benchmarks, and skips the caller with a clear message when they are absent,
// so a fresh clone with only Go still passes; WritePcap writes the small
// captures tests build themselves.
package testdata

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// EnvDatasets overrides where the shared captures are looked for.
const EnvDatasets = "FLOWCLASS_DATASETS"

// RepoRoot returns the directory holding go.mod, walking up from the
// working directory (tests run in their package's directory).
func RepoRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatalf("getwd: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatalf("no go.mod above %s", dir)
		}
		dir = parent
	}
}

// DatasetsDir returns the shared datasets directory (../shared/datasets next
// to the repository, or $FLOWCLASS_DATASETS), or "" when it is absent.
func DatasetsDir(tb testing.TB) string {
	tb.Helper()
	if d := os.Getenv(EnvDatasets); d != "" {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d
		}
		return ""
	}
	d := filepath.Join(RepoRoot(tb), "..", "shared", "datasets")
	if st, err := os.Stat(d); err == nil && st.IsDir() {
		return d
	}
	return ""
}

// Datasets returns the shared datasets directory or skips the test with a
// message saying how to provide it.
func Datasets(tb testing.TB) string {
	tb.Helper()
	d := DatasetsDir(tb)
	if d == "" {
		tb.Skipf("shared datasets not found (expected ../shared/datasets beside the repository or $%s); skipping", EnvDatasets)
	}
	return d
}

// Capture returns the path of one shared capture (relative to the datasets
// directory, for example "benign/ndpi_dns.pcap"), skipping when absent.
func Capture(tb testing.TB, rel string) string {
	tb.Helper()
	p := filepath.Join(Datasets(tb), rel)
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("shared capture %s not found; skipping", rel)
	}
	return p
}

// seedCaptures are shared captures of different link types and formats
// that fuzz corpora are seeded from.
var seedCaptures = []string{
	"benign/ndpi_443-curl.pcap",           // Ethernet
	"benign/ndpi_kakaotalk_chat.pcap",     // Linux SLL
	"benign/ndpi_bjnp.pcap",               // raw IP
	"benign/ndpi_hsrp2_ipv6.pcapng",       // pcapng, VLAN, IPv6
	"odd/ndpi_dlt_ppp.pcap",               // PPP
	"odd/ndpi_someip_sd_sample.pcap",      // PPI
	"odd/ndpi_ip_fragmented_garbage.pcap", // fragments
}

// Packet is one captured frame with its link type, for fuzz seeds.
type Packet struct {
	Data     []byte
	LinkType uint16
}

// SamplePackets returns up to perFile packets from each seed capture, or
// nothing when the shared captures are absent. It reads pcap files only
// (classic header), which is enough for seeds and needs no project code.
func SamplePackets(tb testing.TB, perFile int) []Packet {
	tb.Helper()
	dir := DatasetsDir(tb)
	if dir == "" {
		return nil
	}
	var out []Packet
	for _, rel := range seedCaptures {
		b, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil || len(b) < 24 || !(b[0] == 0xd4 && b[1] == 0xc3 && b[2] == 0xb2 && b[3] == 0xa1) {
			continue // little-endian microsecond pcap only
		}
		lt := uint16(b[20]) | uint16(b[21])<<8
		off := 24
		for n := 0; n < perFile && off+16 <= len(b); n++ {
			caplen := int(uint32(b[off+8]) | uint32(b[off+9])<<8 | uint32(b[off+10])<<16 | uint32(b[off+11])<<24)
			off += 16
			if caplen < 0 || off+caplen > len(b) {
				break
			}
			out = append(out, Packet{Data: append([]byte(nil), b[off:off+caplen]...), LinkType: lt})
			off += caplen
		}
	}
	return out
}

// CaptureHeads returns the first n bytes of each seed capture, or nothing
// when the shared captures are absent.
func CaptureHeads(tb testing.TB, n int) [][]byte {
	tb.Helper()
	dir := DatasetsDir(tb)
	if dir == "" {
		return nil
	}
	var out [][]byte
	for _, rel := range seedCaptures {
		b, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			continue
		}
		out = append(out, b[:min(n, len(b))])
	}
	return out
}

// WritePcap writes Ethernet frames as a pcap with nanosecond times at
// path, frame i at times[i], for tests that build their own captures.
func WritePcap(tb testing.TB, path string, frames [][]byte, times []time.Time) {
	tb.Helper()
	if len(frames) != len(times) {
		tb.Fatalf("WritePcap: %d frames, %d times", len(frames), len(times))
	}
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := pcapgo.NewWriterNanos(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		tb.Fatal(err)
	}
	for i, fr := range frames {
		ci := gopacket.CaptureInfo{Timestamp: times[i], CaptureLength: len(fr), Length: len(fr)}
		if err := w.WritePacket(ci, fr); err != nil {
			tb.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}
