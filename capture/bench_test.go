package capture

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/flowclass/flowclass/synth"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/pcapgo"
)

// benchPackets is the size of the generated benchmark captures; override
// with FLOWCLASS_BENCH_PACKETS for quick runs.
const benchPackets = 1_000_000

// benchFile is one generated capture, made once per process and cached in
// the temp dir across runs (same seed, same bytes; the pcap one is the
// file meter's benchmarks use too).
type benchFile struct {
	once   sync.Once
	format synth.Format
	ext    string
	minor  uint16 // when not 0, written into the pcap header
	path   string
	err    error
}

var benchPcap = &benchFile{format: synth.FormatPCAP, ext: "pcap"}

// benchPcapOld is benchPcap with version 2.2 in its header: the files
// OpenFile amends before pcapgo sees them.
var benchPcapOld = &benchFile{format: synth.FormatPCAP, ext: "v22.pcap", minor: 2}
var benchPcapng = &benchFile{format: synth.FormatPCAPNG, ext: "pcapng"}

func (bf *benchFile) get(b *testing.B) string {
	bf.once.Do(func() {
		n := benchPackets
		if v := os.Getenv("FLOWCLASS_BENCH_PACKETS"); v != "" {
			fmt.Sscan(v, &n)
		}
		bf.path = filepath.Join(os.TempDir(), fmt.Sprintf("flowclass-bench-%d-seed1.%s", n, bf.ext))
		if _, err := os.Stat(bf.path); err == nil {
			return
		}
		cfg := synth.DefaultConfig(1, n)
		cfg.Format = bf.format
		tmp := fmt.Sprintf("%s.%d.tmp", bf.path, os.Getpid())
		if _, bf.err = synth.WriteFile(tmp, cfg); bf.err == nil && bf.minor != 0 {
			bf.err = setPcapMinor(tmp, bf.minor)
		}
		if bf.err == nil {
			bf.err = os.Rename(tmp, bf.path)
		}
	})
	if bf.err != nil {
		b.Fatal(bf.err)
	}
	return bf.path
}

// cpuTime is the CPU time this process has used, all threads: on a shared
// machine it moves less than wall time when others take the cores.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportPackets reports wall and CPU time per packet; cpu0 is cpuTime()
// when the timer was reset.
// setPcapMinor writes minor into the version field of a little-endian
// pcap file's header.
func setPcapMinor(path string, minor uint16) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(binary.LittleEndian.AppendUint16(nil, minor), 6); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func reportPackets(b *testing.B, packets int, cpu0 time.Duration) {
	pk := float64(packets * b.N)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/pk, "ns/pkt")
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/pk, "cpu-ns/pkt")
}

// BenchmarkPcapgoBare is the reference: the bare pcapgo zero-copy read loop
// on an os.File, nothing of this package in the way.
func BenchmarkPcapgoBare(b *testing.B) {
	path := benchPcap.get(b)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	n := 0
	for i := 0; i < b.N; i++ {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		r, err := pcapgo.NewReader(f)
		if err != nil {
			b.Fatal(err)
		}
		n = drainZeroCopy(b, r)
		f.Close()
	}
	reportPackets(b, n, cpu0)
}

// BenchmarkPcapgoBareNg is the same reference for pcapng.
func BenchmarkPcapgoBareNg(b *testing.B) {
	path := benchPcapng.get(b)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	n := 0
	for i := 0; i < b.N; i++ {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		r, err := pcapgo.NewNgReader(f, pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			b.Fatal(err)
		}
		n = drainZeroCopy(b, r)
		f.Close()
	}
	reportPackets(b, n, cpu0)
}

func benchFileNext(b *testing.B, path string) {
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	n := 0
	for i := 0; i < b.N; i++ {
		f, err := OpenFile(path)
		if err != nil {
			b.Fatal(err)
		}
		var r Record
		n = 0
		for {
			err := f.Next(&r)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if f.Offset() != f.Size() {
			b.Fatalf("offset %d at the end of a %d-byte file", f.Offset(), f.Size())
		}
		f.Close()
	}
	reportPackets(b, n, cpu0)
}

// BenchmarkFileNext is OpenFile and the Next loop on the same pcap.
func BenchmarkFileNext(b *testing.B) { benchFileNext(b, benchPcap.get(b)) }

// BenchmarkFileNextNg is OpenFile and the Next loop on the pcapng twin.
func BenchmarkFileNextNg(b *testing.B) { benchFileNext(b, benchPcapng.get(b)) }

// BenchmarkFileNextOldVersion reads the pcap twin that says version 2.2.
func BenchmarkFileNextOldVersion(b *testing.B) { benchFileNext(b, benchPcapOld.get(b)) }

// BenchmarkFileSmall opens and reads a 50-packet capture per operation:
// many small files are a common input, where opening costs more than
// reading.
func BenchmarkFileSmall(b *testing.B) {
	path := filepath.Join(b.TempDir(), "small.pcap")
	if _, err := synth.WriteFile(path, synth.DefaultConfig(1, 50)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := OpenFile(path)
		if err != nil {
			b.Fatal(err)
		}
		var r Record
		n := 0
		for f.Next(&r) == nil {
			n++
		}
		f.Close()
		if n != 50 {
			b.Fatalf("%d packets", n)
		}
	}
}

// zeroCopyReader is what pcapgo's pcap and pcapng readers share.
type zeroCopyReader interface {
	ZeroCopyReadPacketData() ([]byte, gopacket.CaptureInfo, error)
}

// drainZeroCopy reads r to the end and returns the packet count.
func drainZeroCopy(b *testing.B, r zeroCopyReader) int {
	n := 0
	for {
		_, _, err := r.ZeroCopyReadPacketData()
		if err == io.EOF {
			return n
		}
		if err != nil {
			b.Fatal(err)
		}
		n++
	}
}
