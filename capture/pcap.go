package capture

import (
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// pcapReader parses classic pcap records in place, out of the buffer that
// read(2) fills, so each byte is copied once, by the kernel. pcapgo's
// reader copies every record a second time, out of a bufio.Reader into its
// packet buffer, through two io.ReadFull calls: on the benchmark capture
// that was half the cost of reading. Records keep pcapgo's semantics
// (limits, error texts, timestamps: a fraction too large wraps in 32 bits
// as it does there; only corrupt files have one) so that the two read the
// same files alike; TestPcapReaderMatchesPcapgo holds them to it.
type pcapReader struct {
	r       io.Reader
	buf     []byte
	start   int // buf[start:end] is read but not yet delivered
	end     int
	big     bool   // big-endian file
	factor  uint32 // nanoseconds per unit of the fraction field
	snaplen uint32 // as the header says
	link    layers.LinkType
	large   []byte // a record that does not fit buf
}

// pcapMaxEager is the longest record delivered without reading it first in
// pieces: libpcap's MAXIMUM_SNAPLEN, as in pcapgo. A longer one must be
// within the file's snap length and is read as it arrives, so a corrupt
// length cannot make the reader allocate gigabytes up front.
const pcapMaxEager = 262144

// newPcapReader reads the file header from head (the first 24 bytes of the
// file, or fewer when that is all it has) and parses the records that r
// yields after it into a buffer of size bytes.
func newPcapReader(head []byte, r io.Reader, size int) (*pcapReader, error) {
	if len(head) < 24 {
		return nil, errHeaderCut
	}
	p := &pcapReader{r: r, buf: make([]byte, max(size, 16))}
	magic := binary.LittleEndian.Uint32(head)
	p.big = magic != magicPcapMicro && magic != magicPcapNano
	p.factor = 1000
	if magic == magicPcapNano || binary.BigEndian.Uint32(head) == magicPcapNano {
		p.factor = 1
	}
	if major := p.u16(head[4:]); major != 2 {
		// pcapgo's words, so that the message stays what it was.
		return nil, fmt.Errorf("Unknown major version %d", major)
	}
	p.snaplen = p.u32(head[16:])
	p.link = layers.LinkType(p.u32(head[20:]))
	return p, nil
}

var errHeaderCut = fmt.Errorf("file ends inside its header: %w", io.ErrUnexpectedEOF)

func (p *pcapReader) u16(b []byte) uint16 {
	if p.big {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (p *pcapReader) u32(b []byte) uint32 {
	if p.big {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

// buffered is how many read bytes wait to be delivered.
func (p *pcapReader) buffered() int { return p.end - p.start }

// next delivers the next record into r (Data, Timestamp, Length). At a
// clean end it returns io.EOF; a file that ends inside a record returns
// io.ErrUnexpectedEOF.
func (p *pcapReader) next(r *Record) error {
	if p.end-p.start < 16 {
		if err := p.fill(16); err != nil {
			return err
		}
	}
	h := p.buf[p.start : p.start+16]
	sec, frac := p.u32(h[0:]), p.u32(h[4:])
	caplen, length := int(p.u32(h[8:])), int(p.u32(h[12:]))
	if caplen > max(int(p.snaplen), pcapMaxEager) {
		return fmt.Errorf("capture length exceeds snap length: %d > %d", caplen, p.snaplen)
	}
	if caplen > length {
		return fmt.Errorf("capture length exceeds original packet length: %d > %d", caplen, length)
	}
	need := 16 + caplen
	if need > len(p.buf) {
		return p.nextLarge(r, caplen, sec, frac, length)
	}
	if p.end-p.start < need {
		if err := p.fill(need); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
	r.Data = p.buf[p.start+16 : p.start+need : p.start+need]
	p.start += need
	r.Timestamp = time.Unix(int64(sec), int64(frac*p.factor)).UTC()
	r.Length = length
	return nil
}

// fill reads until need bytes are buffered, first moving what is left to
// the front of the buffer. It returns io.EOF when the file has no byte
// left at all, io.ErrUnexpectedEOF when it ends with fewer than need.
func (p *pcapReader) fill(need int) error {
	if p.start > 0 {
		p.end = copy(p.buf, p.buf[p.start:p.end])
		p.start = 0
	}
	for p.end < need {
		n, err := p.r.Read(p.buf[p.end:])
		p.end += n
		if err == nil {
			continue
		}
		if err != io.EOF {
			return err
		}
		if p.end == 0 {
			return io.EOF
		}
		if p.end < need {
			return io.ErrUnexpectedEOF
		}
	}
	return nil
}

// nextLarge delivers a record longer than the buffer (a snap length above
// 256 KiB allows that), growing a separate slice as the bytes arrive.
func (p *pcapReader) nextLarge(r *Record, caplen int, sec, frac uint32, length int) error {
	data := p.large[:0]
	data = append(data, p.buf[p.start+16:p.end]...)
	p.start, p.end = 0, 0
	for len(data) < caplen {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := p.r.Read(data[len(data):min(cap(data), caplen)])
		data = data[:len(data)+n]
		if err == io.EOF {
			p.large = data
			return io.ErrUnexpectedEOF
		}
		if err != nil {
			p.large = data
			return err
		}
	}
	p.large = data
	r.Data = data
	r.Timestamp = time.Unix(int64(sec), int64(frac*p.factor)).UTC()
	r.Length = length
	return nil
}
