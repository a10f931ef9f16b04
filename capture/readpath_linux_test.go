package capture

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"
	"golang.org/x/sys/unix"
)

// The benchmarks here keep the measurements behind OpenFile's choice of
// feed: what reads the file into the buffer the records are parsed from.
// Each runs pcapgo's bare zero-copy loop on the 1M-packet capture through
// one feed (since November 2026 OpenFile parses classic pcap in place,
// pcapReader, out of the same kind of buffer read(2) fills; pcapng still
// goes through pcapgo and a bufio.Reader):
//
//	read/SIZE     read(2) into a bufio.Reader of SIZE (what OpenFile does)
//	mmap/...      the file mapped, copied from the mapping into a 64 KiB
//	              bufio.Reader (pcapgo copies out of a *bufio.Reader in any
//	              case), with no advice, MADV_SEQUENTIAL+WILLNEED, or
//	              MAP_POPULATE
//	mmap/warm     the copy alone, from a mapping populated beforehand
//	prefetch      a goroutine reading 1 MiB chunks ahead, four in flight
//
// On the 2-core VM of November 2026, in CPU ns per packet: read 86-103 for
// every size from 128 KiB to 4 MiB (64 KiB 118-138), mmap 113-124, prefetch
// 143-152, on a file fresh in the page cache; on the same bytes held in the
// page cache since they were written hours before, read 163-190 and mmap
// 590-740. Compare feeds within one run: the machine is shared and noisy.
// This VM is a paravirtualised guest where system calls and page faults
// cost several times what they cost on bare metal: read(2) calls of 16 to
// 64 KiB instead of 1 MiB made the whole extraction 5-30% slower, and a
// mapping pays a fault for each run of pages it touches.
//
// mapReader serves a mapped file.
type mapReader struct {
	data []byte
	pos  int
}

func (m *mapReader) Read(p []byte) (int, error) {
	if m.pos >= len(m.data) {
		return 0, io.EOF
	}
	n := copy(p, m.data[m.pos:])
	m.pos += n
	return n, nil
}

// prefetchReader reads the file in a goroutine, chunks ahead of the parser.
type prefetchReader struct {
	full chan prefetchChunk
	free chan []byte
	cur  prefetchChunk
	off  int
}

type prefetchChunk struct {
	b   []byte
	err error
}

func newPrefetchReader(r io.Reader, chunk, depth int) *prefetchReader {
	p := &prefetchReader{full: make(chan prefetchChunk, depth), free: make(chan []byte, depth+1)}
	for i := 0; i <= depth; i++ {
		p.free <- make([]byte, chunk)
	}
	go func() {
		for buf := range p.free {
			n, err := io.ReadFull(r, buf)
			if err == io.ErrUnexpectedEOF {
				err = io.EOF
			}
			p.full <- prefetchChunk{buf[:n], err}
			if err != nil {
				return
			}
		}
	}()
	return p
}

func (p *prefetchReader) Read(b []byte) (int, error) {
	for p.off == len(p.cur.b) {
		if p.cur.err != nil {
			return 0, p.cur.err
		}
		if p.cur.b != nil {
			p.free <- p.cur.b[:cap(p.cur.b)]
		}
		p.cur = <-p.full
		p.off = 0
	}
	n := copy(b, p.cur.b[p.off:])
	p.off += n
	return n, nil
}

// benchFeed runs the bare loop over what open returns, once per iteration.
func benchFeed(b *testing.B, open func(f *os.File, size int) (io.Reader, func())) {
	path := benchPcap.get(b)
	b.ResetTimer()
	cpu0 := cpuTime()
	n := 0
	for i := 0; i < b.N; i++ {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		st, err := f.Stat()
		if err != nil {
			b.Fatal(err)
		}
		src, done := open(f, int(st.Size()))
		r, err := pcapgo.NewReader(src)
		if err != nil {
			b.Fatal(err)
		}
		n = drainZeroCopy(b, r)
		done()
		f.Close()
	}
	reportPackets(b, n, cpu0)
}

func mmapFeed(b *testing.B, flags int, advice ...int) func(*os.File, int) (io.Reader, func()) {
	return func(f *os.File, size int) (io.Reader, func()) {
		data, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ, unix.MAP_SHARED|flags)
		if err != nil {
			b.Fatal(err)
		}
		for _, a := range advice {
			if err := unix.Madvise(data, a); err != nil {
				b.Fatal(err)
			}
		}
		return bufio.NewReaderSize(&mapReader{data: data}, 64<<10), func() { unix.Munmap(data) }
	}
}

func BenchmarkReadPath(b *testing.B) {
	for _, kb := range []int{64, 128, 256, 512, 1024, 4096} {
		b.Run(fmt.Sprintf("read/%dK", kb), func(b *testing.B) {
			benchFeed(b, func(f *os.File, _ int) (io.Reader, func()) {
				return bufio.NewReaderSize(&countingReader{r: f}, kb<<10), func() {}
			})
		})
	}
	b.Run("mmap/plain", func(b *testing.B) { benchFeed(b, mmapFeed(b, 0)) })
	b.Run("mmap/sequential", func(b *testing.B) {
		benchFeed(b, mmapFeed(b, 0, unix.MADV_SEQUENTIAL, unix.MADV_WILLNEED))
	})
	b.Run("mmap/populate", func(b *testing.B) { benchFeed(b, mmapFeed(b, unix.MAP_POPULATE)) })
	b.Run("mmap/warm", func(b *testing.B) {
		f, err := os.Open(benchPcap.get(b))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			b.Fatal(err)
		}
		data, err := unix.Mmap(int(f.Fd()), 0, int(st.Size()), unix.PROT_READ, unix.MAP_SHARED|unix.MAP_POPULATE)
		if err != nil {
			b.Fatal(err)
		}
		defer unix.Munmap(data)
		benchFeed(b, func(*os.File, int) (io.Reader, func()) {
			return bufio.NewReaderSize(&mapReader{data: data}, 64<<10), func() {}
		})
	})
	b.Run("prefetch", func(b *testing.B) {
		benchFeed(b, func(f *os.File, _ int) (io.Reader, func()) {
			return newPrefetchReader(f, 1<<20, 4), func() {}
		})
	})
}
