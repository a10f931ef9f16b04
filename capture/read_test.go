package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowclass/flowclass/internal/testdata"
	"github.com/gopacket/gopacket/layers"
)

// handPacket is one record for handPcap.
type handPacket struct {
	ts   time.Time
	data []byte
	orig int
}

// handPcap writes a pcap file byte by byte, independently of pcapgo's
// writer: either byte order, micro- or nanosecond magic, any minor version.
func handPcap(order binary.AppendByteOrder, nano bool, minor uint16, pkts []handPacket) []byte {
	magic := uint32(magicPcapMicro)
	if nano {
		magic = magicPcapNano
	}
	b := order.AppendUint32(nil, magic)
	b = order.AppendUint16(b, 2)
	b = order.AppendUint16(b, minor)
	b = order.AppendUint32(b, 0) // thiszone
	b = order.AppendUint32(b, 0) // sigfigs
	b = order.AppendUint32(b, 65535)
	b = order.AppendUint32(b, uint32(layers.LinkTypeEthernet))
	for _, p := range pkts {
		frac := p.ts.Nanosecond() / 1000
		if nano {
			frac = p.ts.Nanosecond()
		}
		b = order.AppendUint32(b, uint32(p.ts.Unix()))
		b = order.AppendUint32(b, uint32(frac))
		b = order.AppendUint32(b, uint32(len(p.data)))
		b = order.AppendUint32(b, uint32(p.orig))
		b = append(b, p.data...)
	}
	return b
}

func handPackets(n int) []handPacket {
	t0 := time.Date(2024, 3, 4, 9, 30, 0, 0, time.UTC)
	pkts := make([]handPacket, n)
	for i := range pkts {
		f := frame(17 * i % 1400)
		for j := 42; j < len(f); j++ {
			f[j] = byte(i + j)
		}
		pkts[i] = handPacket{ts: t0.Add(time.Duration(i) * 1234567 * time.Microsecond), data: f, orig: len(f) + i%3}
	}
	return pkts
}

// checkRecords reads c to its end and compares every record, and the
// offset after it, with what was written; pcap record i ends 24 bytes of
// header plus 16 bytes per record plus the data before it.
func checkRecords(t *testing.T, c *File, pkts []handPacket, precision time.Duration) {
	t.Helper()
	var r Record
	end := int64(24)
	for i, p := range pkts {
		if err := c.Next(&r); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		end += 16 + int64(len(p.data))
		if !bytes.Equal(r.Data, p.data) || r.Length != p.orig || r.LinkType != layers.LinkTypeEthernet {
			t.Fatalf("record %d: %d bytes of %d, link %v; want %d of %d, Ethernet", i, len(r.Data), r.Length, r.LinkType, len(p.data), p.orig)
		}
		if want := p.ts.Truncate(precision); !r.Timestamp.Equal(want) {
			t.Fatalf("record %d at %v, want %v", i, r.Timestamp, want)
		}
		if c.Offset() != end {
			t.Fatalf("offset %d after record %d, want %d", c.Offset(), i, end)
		}
	}
	if err := c.Next(&r); err != io.EOF {
		t.Fatalf("after the last record: %v, want EOF", err)
	}
}

// TestPcapByteOrdersAndVersions: both byte orders, both resolutions, and
// minor versions other than 4 (read as 2.4 with a warning) deliver every
// record as written, with the offset at each record's end.
func TestPcapByteOrdersAndVersions(t *testing.T) {
	pkts := handPackets(300) // about 230 KB: several buffer fills for the small-file buffer
	for _, order := range []binary.AppendByteOrder{binary.LittleEndian, binary.BigEndian} {
		for _, nano := range []bool{false, true} {
			for _, minor := range []uint16{4, 2, 0} {
				name := fmt.Sprintf("%v nano=%v 2.%d", order, nano, minor)
				t.Run(name, func(t *testing.T) {
					data := handPcap(order, nano, minor, pkts)
					p := filepath.Join(t.TempDir(), "v.pcap")
					if err := os.WriteFile(p, data, 0o644); err != nil {
						t.Fatal(err)
					}
					c, err := OpenFile(p)
					if err != nil {
						t.Fatal(err)
					}
					defer c.Close()
					prec := time.Microsecond
					if nano {
						prec = time.Nanosecond
					}
					checkRecords(t, c, pkts, prec)
					if c.Offset() != int64(len(data)) || c.Size() != int64(len(data)) {
						t.Errorf("offset %d, size %d at the end of %d bytes", c.Offset(), c.Size(), len(data))
					}
					want := map[string]uint64{}
					if minor != 4 {
						want[fmt.Sprintf("pcap version 2.%d read as 2.4", minor)] = 1
					}
					if got := c.Stats().Warnings; len(got) != len(want) || len(want) == 1 && !maps.Equal(got, want) {
						t.Errorf("warnings %v, want %v", got, want)
					}
				})
			}
		}
	}
}

// TestFileGrowsWhileRead: records appended after OpenFile are delivered,
// as a capture still being written is read to its current end.
func TestFileGrowsWhileRead(t *testing.T) {
	pkts := handPackets(40)
	data := handPcap(binary.LittleEndian, false, 4, pkts)
	cut := 24
	for _, p := range pkts[:5] {
		cut += 16 + len(p.data)
	}
	p := filepath.Join(t.TempDir(), "g.pcap")
	if err := os.WriteFile(p, data[:cut], 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := OpenFile(p)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var r Record
	if err := c.Next(&r); err != nil {
		t.Fatal(err)
	}
	w, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data[cut:]); err != nil {
		t.Fatal(err)
	}
	w.Close()
	n := 1
	for ; c.Next(&r) == nil; n++ {
		if !bytes.Equal(r.Data, pkts[n].data) {
			t.Fatalf("record %d differs", n)
		}
	}
	if n != len(pkts) || c.Offset() != int64(len(data)) {
		t.Errorf("read %d records to offset %d, want %d to %d", n, c.Offset(), len(pkts), len(data))
	}
}

// TestFileTruncatedWhileRead: a file cut short by another process after
// OpenFile, beyond what was buffered, delivers the records that still fit
// and then reports the cut.
func TestFileTruncatedWhileRead(t *testing.T) {
	pkts := handPackets(6000) // about 4.3 MB, several times the read buffer
	data := handPcap(binary.LittleEndian, false, 4, pkts)
	p := filepath.Join(t.TempDir(), "t.pcap")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := OpenFile(p)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var r Record
	for i := 0; i < 10; i++ {
		if err := c.Next(&r); err != nil {
			t.Fatal(err)
		}
	}
	// Cut inside the record that straddles 2.5 MB.
	cut, whole := int64(24), 0
	for _, p := range pkts {
		next := cut + 16 + int64(len(p.data))
		if next > 5<<19 {
			cut += 20
			break
		}
		cut, whole = next, whole+1
	}
	if err := os.Truncate(p, cut); err != nil {
		t.Fatal(err)
	}
	n := 10
	for ; ; n++ {
		err = c.Next(&r)
		if err != nil {
			break
		}
	}
	if n != whole || !errors.Is(err, ErrTruncated) || !strings.Contains(err.Error(), p) {
		t.Errorf("read %d records, ended with %v; want %d and a truncation naming the file", n, err, whole)
	}
}

// walkCapture lists where each packet record of a pcap or pcapng file ends
// and its captured length, by walking the format by hand: the reference
// for what File delivers. ok is false for files it does not handle.
func walkCapture(data []byte) (ends []int64, caplens []int, ok bool) {
	if len(data) < 24 {
		return nil, nil, false
	}
	if binary.LittleEndian.Uint32(data) == magicPcapngBlock {
		var order binary.ByteOrder = binary.LittleEndian
		for off := 0; off+12 <= len(data); {
			if binary.LittleEndian.Uint32(data[off:]) == magicPcapngBlock {
				order = binary.LittleEndian
				if binary.BigEndian.Uint32(data[off+8:]) == 0x1a2b3c4d {
					order = binary.BigEndian
				}
			}
			typ, n := order.Uint32(data[off:]), int(order.Uint32(data[off+4:]))
			if n < 12 || off+n > len(data) {
				return nil, nil, false
			}
			switch typ {
			case 6, 2: // enhanced packet; obsolete packet
				ends = append(ends, int64(off+n))
				caplens = append(caplens, int(order.Uint32(data[off+20:])))
			case 3: // simple packet: its length needs the snap length
				return nil, nil, false
			}
			off += n
		}
		return ends, caplens, true
	}
	var order binary.ByteOrder
	switch binary.LittleEndian.Uint32(data) {
	case magicPcapMicro, magicPcapNano:
		order = binary.LittleEndian
	default:
		order = binary.BigEndian
	}
	for off := 24; off+16 <= len(data); {
		n := int(order.Uint32(data[off+8:]))
		if n > 256<<10 {
			return nil, nil, false // beyond any snap length libpcap takes
		}
		off += 16 + n
		ends = append(ends, int64(off))
		caplens = append(caplens, n)
	}
	return ends, caplens, true
}

// TestRealCapturesOffsets: on the shared captures (pcap and pcapng), File
// delivers the records a hand walk of the format finds, the offset after
// each is the end of its record, and at the end it is the file's size.
func TestRealCapturesOffsets(t *testing.T) {
	dir := testdata.Datasets(t)
	var paths []string
	for _, pat := range []string{"*/*.pcap", "*/*.pcapng"} {
		m, _ := filepath.Glob(filepath.Join(dir, pat))
		paths = append(paths, m...)
	}
	checked := 0
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		ends, caplens, ok := walkCapture(data)
		if !ok || len(data) > 64<<20 {
			continue
		}
		c, err := OpenFile(p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		var r Record
		i := 0
		for ; ; i++ {
			err := c.Next(&r)
			if err != nil {
				if err != io.EOF && i < len(ends) {
					t.Errorf("%s: record %d: %v", p, i, err)
				}
				break
			}
			if i >= len(ends) || len(r.Data) != caplens[i] || c.Offset() != ends[i] {
				t.Errorf("%s: record %d: %d bytes at offset %d; walk says %d bytes ending at %d", p, i, len(r.Data), c.Offset(), caplens[min(i, len(caplens)-1)], ends[min(i, len(ends)-1)])
				break
			}
		}
		c.Close()
		if i != len(ends) {
			t.Errorf("%s: %d records, the walk finds %d", p, i, len(ends))
		}
		if i == len(ends) && len(ends) > 0 && ends[i-1] == int64(len(data)) && c.Offset() != int64(len(data)) {
			t.Errorf("%s: offset %d at the end of %d bytes", p, c.Offset(), len(data))
		}
		checked++
	}
	if checked == 0 {
		t.Skip("no shared capture the walk handles")
	}
	t.Logf("%d captures checked", checked)
}
