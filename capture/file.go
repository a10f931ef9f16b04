package capture

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// ErrTruncated reports a capture that ends inside a record: everything
// before the cut was delivered.
var ErrTruncated = errors.New("capture is truncated")

// ErrNotCapture reports a file that is neither pcap nor pcapng.
var ErrNotCapture = errors.New("not a pcap or pcapng file")

// packetReader is what pcapgo's pcap and pcapng readers have in common.
type packetReader interface {
	ZeroCopyReadPacketData() ([]byte, gopacket.CaptureInfo, error)
}

// File reads a pcap or pcapng file (any of the four pcap magic numbers,
// pcapng with several interfaces and link types) through pcapgo's
// zero-copy path.
type File struct {
	path  string
	f     *os.File
	r     packetReader
	ng    *pcapgo.NgReader
	link  layers.LinkType   // pcap: the file's link type
	links []layers.LinkType // pcapng: per interface, filled lazily
	size  int64
	cr    *countingReader
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

// OpenFile opens a pcap or pcapng file, telling them apart by magic number.
func OpenFile(path string) (*File, error) {
	f, err := os.Open(path)
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
	br := bufio.NewReaderSize(cr, 1<<20)
	head, err := br.Peek(4)
	if err != nil {
		f.Close()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("capture %s: %w (file has %d bytes)", path, ErrNotCapture, st.Size())
		}
		return nil, fmt.Errorf("read capture %s: %w", path, err)
	}
	c := &File{path: path, f: f, size: st.Size(), cr: cr}
	le, be := binary.LittleEndian.Uint32(head), binary.BigEndian.Uint32(head)
	switch {
	case le == magicPcapngBlock:
		ng, err := pcapgo.NewNgReader(br, pcapgo.NgReaderOptions{WantMixedLinkType: true, SkipUnknownVersion: true})
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("capture %s: pcapng: %s", path, describeReadErr(err))
		}
		c.r, c.ng = ng, ng
	case le == magicPcapMicro || be == magicPcapMicro || le == magicPcapNano || be == magicPcapNano:
		src, warn := normalisePcapVersion(br, le == magicPcapMicro || le == magicPcapNano)
		if warn != "" {
			c.warn(warn)
		}
		r, err := pcapgo.NewReader(src)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("capture %s: pcap: %s", path, describeReadErr(err))
		}
		c.r, c.link = r, r.LinkType()
	default:
		f.Close()
		return nil, fmt.Errorf("capture %s: %w (starts with %x)", path, ErrNotCapture, head)
	}
	return c, nil
}

// normalisePcapVersion lets through pcap files whose minor version is not
// 4 (some writers put 0 or 1 there; libpcap and tshark read them), which
// pcapgo would refuse, by presenting version 2.4 to it.
func normalisePcapVersion(br *bufio.Reader, little bool) (io.Reader, string) {
	head, err := br.Peek(24)
	if err != nil {
		return br, ""
	}
	var order binary.ByteOrder = binary.BigEndian
	if little {
		order = binary.LittleEndian
	}
	major, minor := order.Uint16(head[4:6]), order.Uint16(head[6:8])
	if major != 2 || minor == 4 {
		return br, ""
	}
	fixed := make([]byte, 24)
	copy(fixed, head)
	order.PutUint16(fixed[6:8], 4)
	if _, err := br.Discard(24); err != nil {
		return br, ""
	}
	return io.MultiReader(bytes.NewReader(fixed), br), fmt.Sprintf("pcap version 2.%d read as 2.4", minor)
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
	data, ci, err := c.r.ZeroCopyReadPacketData()
	if err != nil {
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
	r.LinkType = c.link
	if c.ng != nil {
		r.LinkType = c.linkOf(ci.InterfaceIndex)
	}
	return nil
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

// Size is the file's size in bytes; Offset how much of it has been read
// (ahead of the packets delivered by up to the read buffer).
func (c *File) Size() int64   { return c.size }
func (c *File) Offset() int64 { return c.cr.n }

// Path is the file's path as given.
func (c *File) Path() string { return c.path }

// Stats reports packets delivered and whether the file was cut short.
func (c *File) Stats() Stats { return c.stats }

// Close releases the file.
func (c *File) Close() error { return c.f.Close() }
