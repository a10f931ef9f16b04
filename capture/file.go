package capture

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// ErrTruncated reports a capture that ends inside a record: everything
// before the cut was delivered.
var ErrTruncated = errors.New("capture is truncated")

// ErrNotCapture reports a file that is neither pcap nor pcapng.
var ErrNotCapture = errors.New("not a pcap or pcapng file")

// File reads a pcap or pcapng file: classic pcap (any of the four magic
// numbers) with its own in-place parser, pcapng (several interfaces and
// link types) through pcapgo's zero-copy path.
type File struct {
	path  string
	f     *os.File
	pcap  *pcapReader       // classic pcap
	ng    *pcapgo.NgReader  // or pcapng
	link  layers.LinkType   // pcap: the file's link type
	links []layers.LinkType // pcapng: per interface, filled lazily
	size  int64
	cr    *countingReader
	gz    *gzip.Reader  // a compressed capture, read through this
	br    *bufio.Reader // pcapng parses from this; see Offset
	stats Stats
	done  bool
}

// countingReader counts bytes consumed from the file, for progress bars.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

const (
	magicPcapMicro   = 0xa1b2c3d4
	magicPcapNano    = 0xa1b23c4d
	magicPcapngBlock = 0x0a0d0d0a
)

// readBufferSize is the read buffer for files of a MiB or more. Classic
// pcap records are parsed in place out of it (see pcapReader); pcapgo's
// pcapng reader reuses a *bufio.Reader it is given instead of stacking its
// own 4 KiB one, and copies each block out of it. Sizes from 128 KiB to
// 4 MiB read the 1M-packet benchmark equally fast; 64 KiB pays for more
// system calls. Mapping the file instead was never faster (up to 3-4
// times slower, depending on how the page cache holds the file) and would
// turn a file truncated under us into SIGBUS; a goroutine reading ahead
// cost more CPU than it saved. See readpath_linux_test.go.
const readBufferSize = 1 << 20

// minReadBuffer is bufio's default size: pcapgo wraps a smaller reader in a
// buffer of its own, which would add a copy.
const minReadBuffer = 4096

// OpenFile opens a pcap or pcapng file, telling them apart by magic number,
// compressed with gzip or not.
// Any readable path works, regular file or not (a FIFO, /dev/stdin); "-"
// is standard input, as for tcpdump -r (tcpdump -w - | classify -r -).
func OpenFile(path string) (*File, error) {
	f, err := os.Stdin, error(nil)
	if path != "-" {
		f, err = os.Open(path)
	}
	if err != nil {
		return nil, fmt.Errorf("open capture: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open capture: %w", err)
	}
	if st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("open capture %s: is a directory", path)
	}
	cr := &countingReader{r: f}
	c := &File{path: path, f: f, size: st.Size(), cr: cr}
	// The head tells the formats apart before either reader exists.
	var head [24]byte
	var src io.Reader = cr
	n, err := io.ReadFull(src, head[:])
	if err == nil && head[0] == 0x1f && head[1] == 0x8b {
		// gzip, as tshark and pcapgo read it: the capture is inside.
		zr, zerr := gzip.NewReader(io.MultiReader(bytes.NewReader(head[:n]), cr))
		if zerr != nil {
			f.Close()
			return nil, fmt.Errorf("capture %s: gzip: %w", path, zerr)
		}
		c.gz, src = zr, zr
		n, err = io.ReadFull(src, head[:])
	}
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		f.Close()
		return nil, fmt.Errorf("read capture %s: %w", path, err)
	}
	if n < 4 {
		f.Close()
		return nil, fmt.Errorf("capture %s: %w (file has %d bytes)", path, ErrNotCapture, st.Size())
	}
	size := bufferSizeFor(st)
	if c.gz != nil {
		size = readBufferSize // the file's size says little of what is inside
	}
	le, be := binary.LittleEndian.Uint32(head[:]), binary.BigEndian.Uint32(head[:])
	isPcap := le == magicPcapMicro || be == magicPcapMicro || le == magicPcapNano || be == magicPcapNano
	if le != magicPcapngBlock && !isPcap {
		f.Close()
		return nil, fmt.Errorf("capture %s: %w (starts with %x)", path, ErrNotCapture, head[:4])
	}
	if isPcap {
		p, err := newPcapReader(head[:n], src, size)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("capture %s: pcap: %s", path, describeReadErr(err))
		}
		if minor := p.u16(head[6:]); minor != 4 {
			// Some writers put 0 or 1 there; libpcap and tshark read them.
			c.warn(fmt.Sprintf("pcap version 2.%d read as 2.4", minor))
		}
		c.pcap, c.link = p, p.link
		return c, nil
	}
	c.br = bufio.NewReaderSize(io.MultiReader(bytes.NewReader(head[:n]), src), size)
	ng, err := pcapgo.NewNgReader(c.br, pcapgo.NgReaderOptions{WantMixedLinkType: true, SkipUnknownVersion: true})
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("capture %s: pcapng: %s", path, describeReadErr(err))
	}
	c.ng = ng
	return c, nil
}

// bufferSizeFor fits the read buffer to a small regular file: a 1 MiB
// buffer for a 10 KiB capture costs more to allocate and clear than the
// reading. A file that grows while it is read is still read to its end.
func bufferSizeFor(st os.FileInfo) int {
	if st.Mode().IsRegular() && st.Size() < readBufferSize {
		return max(int(st.Size()), minReadBuffer)
	}
	return readBufferSize
}

func (c *File) warn(kind string) {
	if c.stats.Warnings == nil {
		c.stats.Warnings = map[string]uint64{}
	}
	c.stats.Warnings[kind]++
}

func describeReadErr(err error) string {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "file ends inside its header"
	}
	return err.Error()
}

// Next delivers the next packet. At the end it returns io.EOF, or an error
// wrapping ErrTruncated when the file ends inside a record.
func (c *File) Next(r *Record) error {
	if c.done {
		return io.EOF
	}
	if c.pcap != nil {
		if err := c.pcap.next(r); err != nil {
			return c.end(err)
		}
		c.stats.Packets++
		r.Source = c.path
		r.LinkType = c.link
		return nil
	}
	data, ci, err := c.ng.ZeroCopyReadPacketData()
	if err != nil {
		return c.end(err)
	}
	c.stats.Packets++
	r.Data = data
	r.Timestamp = ci.Timestamp
	r.Length = ci.Length
	if r.Length < len(data) {
		// Some writers leave the original length at 0 or below the
		// captured length; the captured bytes are the better truth.
		r.Length = len(data)
	}
	r.Source = c.path
	r.LinkType = c.linkOf(ci.InterfaceIndex)
	return nil
}

// end ends the reading with err, saying where.
func (c *File) end(err error) error {
	c.done = true
	switch {
	case errors.Is(err, io.EOF):
		return io.EOF
	case errors.Is(err, io.ErrUnexpectedEOF):
		c.stats.Truncated = true
		return fmt.Errorf("capture %s: %w after %d packets (the file ends inside a record)", c.path, ErrTruncated, c.stats.Packets)
	default:
		return fmt.Errorf("capture %s: record %d: %w", c.path, c.stats.Packets+1, err)
	}
}

func (c *File) linkOf(idx int) layers.LinkType {
	for len(c.links) <= idx {
		i := len(c.links)
		lt := layers.LinkType(0xffff)
		if iface, err := c.ng.Interface(i); err == nil {
			lt = iface.LinkType
		}
		c.links = append(c.links, lt)
	}
	return c.links[idx]
}

// Size is the file's size in bytes when it was opened (0 for a FIFO or a
// device); Offset how much of it the packets delivered so far took up,
// headers and skipped blocks included.
func (c *File) Size() int64 { return c.size }
func (c *File) Offset() int64 {
	// Bytes read from the file less those still waiting in the buffer.
	if c.gz != nil {
		return c.cr.n // compressed bytes: the buffers hold decompressed ones
	}
	if c.pcap != nil {
		return c.cr.n - int64(c.pcap.buffered())
	}
	return c.cr.n - int64(c.br.Buffered())
}

// Path is the file's path as given.
func (c *File) Path() string { return c.path }

// Stats reports packets delivered and whether the file was cut short.
func (c *File) Stats() Stats { return c.stats }

// Close releases the file.
func (c *File) Close() error { return c.f.Close() }
