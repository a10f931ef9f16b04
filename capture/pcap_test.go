package capture

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowclass/flowclass/internal/testdata"
	"github.com/gopacket/gopacket/pcapgo"
)

// pcapgoRecord is one record as pcapgo's reader delivers it.
type pcapgoRecord struct {
	data   []byte
	ts     time.Time
	length int
}

// readWithPcapgo reads a classic pcap file image with pcapgo, the reference
// pcapReader must agree with. The minor version is set to 4 first, which
// is how OpenFile used to let other minors through pcapgo. end is how the
// reading ended: nil for a clean io.EOF.
func readWithPcapgo(t *testing.T, data []byte) (recs []pcapgoRecord, end error) {
	t.Helper()
	img := append([]byte(nil), data...)
	if len(img) >= 24 {
		if binary.LittleEndian.Uint32(img) == magicPcapMicro || binary.LittleEndian.Uint32(img) == magicPcapNano {
			binary.LittleEndian.PutUint16(img[6:], 4)
		} else {
			binary.BigEndian.PutUint16(img[6:], 4)
		}
	}
	r, err := pcapgo.NewReader(bufio.NewReaderSize(bytes.NewReader(img), 1<<20))
	if err != nil {
		return nil, err
	}
	for {
		d, ci, err := r.ZeroCopyReadPacketData()
		if err == io.EOF {
			return recs, nil
		}
		if err != nil {
			return recs, err
		}
		recs = append(recs, pcapgoRecord{append([]byte(nil), d...), ci.Timestamp, ci.Length})
	}
}

// comparePcapgo reads data with File and with pcapgo and fails where they
// differ, allowing for the one way pcapReader is deliberately different:
// a file that ends right after a record's header is cut short, where
// pcapgo reads a clean end and loses that header silently.
func comparePcapgo(t *testing.T, name string, data []byte, bufSize int) (records int) {
	t.Helper()
	want, wantEnd := readWithPcapgo(t, data)
	if len(data) < 24 {
		return 0
	}
	p, err := newPcapReader(data[:24], bytes.NewReader(data[24:]), bufSize)
	if err != nil {
		if wantEnd == nil || len(want) > 0 {
			t.Errorf("%s: header refused (%v), pcapgo reads it", name, err)
		}
		return 0
	}
	var r Record
	i, off := 0, 24 // off: where record i starts in data
	var end error
	for {
		if end = p.next(&r); end != nil {
			break
		}
		if i >= len(want) {
			t.Errorf("%s: record %d delivered, pcapgo ends with %v after %d", name, i, wantEnd, len(want))
			return i
		}
		w := want[i]
		ts := w.ts
		if !bytes.Equal(r.Data, w.data) || !r.Timestamp.Equal(ts) || r.Length != w.length {
			t.Errorf("%s: record %d: %d bytes of %d at %v; pcapgo: %d of %d at %v", name, i, len(r.Data), r.Length, r.Timestamp, len(w.data), w.length, ts)
			return i
		}
		i, off = i+1, off+16+len(r.Data)
	}
	if i != len(want) {
		t.Errorf("%s: %d records, pcapgo %d", name, i, len(want))
	}
	switch {
	case end == io.EOF && wantEnd == nil:
	case errors.Is(end, io.ErrUnexpectedEOF) && wantEnd == nil:
		// Allowed only for a header with no data after it.
		if rest := len(data) - off; rest != 16 {
			t.Errorf("%s: cut after %d records with %d bytes left; pcapgo ends cleanly", name, i, rest)
		}
	case wantEnd != nil && end != nil && (end.Error() == wantEnd.Error() || errors.Is(end, io.ErrUnexpectedEOF) && errors.Is(wantEnd, io.ErrUnexpectedEOF)):
	default:
		t.Errorf("%s: ends with %v, pcapgo with %v", name, end, wantEnd)
	}
	return i
}

// TestPcapReaderMatchesPcapgo holds pcapReader to pcapgo's reading of
// hand-made files: every byte order and resolution, every cut point of a
// small file, damaged lengths, and buffers from barely a record up.
func TestPcapReaderMatchesPcapgo(t *testing.T) {
	pkts := handPackets(40)
	var files [][]byte
	for _, big := range []bool{false, true} {
		for _, nano := range []bool{false, true} {
			var order binary.AppendByteOrder = binary.LittleEndian
			if big {
				order = binary.BigEndian
			}
			files = append(files, handPcap(order, nano, 4, pkts))
		}
	}
	for fi, f := range files {
		for _, size := range []int{16, 1500, 4096, 1 << 20} {
			comparePcapgo(t, "intact", f, size)
		}
		if fi > 0 {
			continue
		}
		for cut := 24; cut < len(f); cut += 7 {
			comparePcapgo(t, "cut", f[:cut], 4096)
		}
		// Damage each record's lengths and fraction in turn.
		off := 24
		for _, p := range pkts[:12] {
			for _, fld := range []struct {
				at  int
				val uint32
			}{{8, 300 << 10}, {8, 1 << 31}, {12, 3}, {12, 0}, {4, 5_000_000}, {4, 1<<32 - 1}, {8, 0}} {
				d := append([]byte(nil), f...)
				binary.LittleEndian.PutUint32(d[off+fld.at:], fld.val)
				comparePcapgo(t, "damaged", d, 4096)
			}
			off += 16 + len(p.data)
		}
	}
}

// TestPcapReaderMatchesPcapgoOnRealCaptures: every classic pcap of the
// shared captures (the fuzzed and malformed ones included) reads as pcapgo
// reads it, record for record.
func TestPcapReaderMatchesPcapgoOnRealCaptures(t *testing.T) {
	dir := testdata.Datasets(t)
	paths, _ := filepath.Glob(filepath.Join(dir, "*/*"))
	files, records := 0, 0
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil || len(data) < 4 || len(data) > 64<<20 {
			continue
		}
		switch binary.LittleEndian.Uint32(data) {
		case magicPcapMicro, magicPcapNano, 0xd4c3b2a1, 0x4d3cb2a1:
		default:
			continue
		}
		records += comparePcapgo(t, strings.TrimPrefix(p, dir), data, readBufferSize)
		files++
	}
	if files == 0 {
		t.Skip("no classic pcap among the shared captures")
	}
	t.Logf("%d files, %d records agree with pcapgo", files, records)
}

// FuzzPcapMatchesPcapgo reads arbitrary bytes after a classic pcap header
// with pcapReader and with pcapgo: they must agree record for record, and
// in how the reading ends, but for a header with no data after it.
func FuzzPcapMatchesPcapgo(f *testing.F) {
	for _, order := range []binary.AppendByteOrder{binary.LittleEndian, binary.BigEndian} {
		for _, nano := range []bool{false, true} {
			f.Add(handPcap(order, nano, 4, handPackets(3)))
		}
	}
	for _, head := range testdata.CaptureHeads(f, 4096) {
		if len(head) >= 24 && (binary.LittleEndian.Uint32(head) == magicPcapMicro || binary.LittleEndian.Uint32(head) == magicPcapNano) {
			f.Add(head)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 24 {
			return
		}
		switch binary.LittleEndian.Uint32(data) {
		case magicPcapMicro, magicPcapNano, 0xd4c3b2a1, 0x4d3cb2a1:
		default:
			return
		}
		for _, size := range []int{16, 4096} {
			comparePcapgo(t, "fuzz", data, size)
		}
	})
}
