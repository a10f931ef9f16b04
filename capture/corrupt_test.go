package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// frame is a minimal Ethernet/IPv4/UDP frame of n payload bytes.
func frame(n int) []byte {
	b := make([]byte, 42+n)
	copy(b[12:], []byte{8, 0, 0x45})
	binary.BigEndian.PutUint16(b[16:], uint16(28+n))
	b[23] = 17
	copy(b[26:], []byte{10, 0, 0, 1, 10, 0, 0, 2})
	binary.BigEndian.PutUint16(b[38:], uint16(8+n))
	return b
}

func pcapBytes(t *testing.T, stamps []time.Time, sizes []int) []byte {
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for i, ts := range stamps {
		f := frame(sizes[i])
		if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(f), Length: len(f)}, f); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// readAllRecords reads a file to its end, returning what it delivered and
// how it ended. It fails the test on a panic or on more records than bytes.
func readAllRecords(t *testing.T, data []byte) (n int, sizes []int, end error) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.pcap")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := OpenFile(p)
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	var r Record
	for {
		err := f.Next(&r)
		if err != nil {
			return n, sizes, err
		}
		n++
		sizes = append(sizes, len(r.Data))
		if n > len(data) {
			t.Fatal("more records than bytes: reading loops")
		}
	}
}

// TestCorruptCaptures: each damaged file delivers every packet before the
// damage and then says what is wrong; none panics or loops.
func TestCorruptCaptures(t *testing.T) {
	t0 := time.Date(2024, 3, 4, 9, 30, 0, 0, time.UTC)
	five := []time.Time{t0, t0.Add(time.Millisecond), t0.Add(2 * time.Millisecond), t0.Add(3 * time.Millisecond), t0.Add(4 * time.Millisecond)}
	good := pcapBytes(t, five, []int{10, 20, 30, 40, 50})
	rec3 := 24 + (16 + 52) + (16 + 62) // offset of the third record
	bigLen := append([]byte(nil), good...)
	binary.LittleEndian.PutUint32(bigLen[rec3+8:], 300<<10) // caplen 300 KiB, above the snap length
	binary.LittleEndian.PutUint32(bigLen[rec3+12:], 300<<10)
	capOverLen := append([]byte(nil), good...)
	binary.LittleEndian.PutUint32(capOverLen[rec3+12:], 10) // original length below captured length
	zero := pcapBytes(t, five[:2], []int{0, 0})
	binary.LittleEndian.PutUint32(zero[24+8:], 0) // a zero-length record
	binary.LittleEndian.PutUint32(zero[24+12:], 0)
	zero = append(zero[:24+16], zero[24+16+42:]...)

	cases := []struct {
		name      string
		data      []byte
		wantN     int
		wantErr   error  // errors.Is target, nil for a clean io.EOF
		errSubstr string // or a substring of the error
	}{
		{"intact", good, 5, nil, ""},
		{"cut in a record header", good[:rec3+7], 2, ErrTruncated, ""},
		{"cut in packet data", good[:rec3+16+20], 2, ErrTruncated, ""},
		{"record longer than snap length and 256 KiB", bigLen, 2, nil, "capture length exceeds"},
		{"captured length above original length", capOverLen, 2, nil, "exceeds original"},
		{"zero-length record", zero, 2, nil, ""},
		{"not a capture", []byte("GET / HTTP/1.1\r\nHost: example\r\n\r\n"), 0, ErrNotCapture, ""},
		{"empty file", nil, 0, ErrNotCapture, ""},
		{"header only", good[:24], 0, nil, ""},
		{"cut in the file header", good[:10], 0, nil, "ends inside its header"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, _, err := readAllRecords(t, c.data)
			if n != c.wantN {
				t.Errorf("delivered %d records, want %d (err %v)", n, c.wantN, err)
			}
			switch {
			case c.wantErr != nil:
				if !errors.Is(err, c.wantErr) {
					t.Errorf("error %v, want %v", err, c.wantErr)
				}
			case c.errSubstr != "":
				if err == nil || !strings.Contains(err.Error(), c.errSubstr) {
					t.Errorf("error %v, want one saying %q", err, c.errSubstr)
				}
			default:
				if err != io.EOF {
					t.Errorf("error %v, want a clean end", err)
				}
			}
		})
	}
}

// TestTimestampsBackwardsAndJumps: packet times are delivered as written,
// even when they run backwards or jump years ahead; the flow layer copes.
func TestTimestampsBackwardsAndJumps(t *testing.T) {
	t0 := time.Date(2024, 3, 4, 9, 30, 0, 0, time.UTC)
	stamps := []time.Time{t0, t0.Add(-time.Hour), t0.AddDate(7, 0, 0), t0}
	data := pcapBytes(t, stamps, []int{1, 2, 3, 4})
	p := filepath.Join(t.TempDir(), "c.pcap")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := OpenFile(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r Record
	for i := 0; ; i++ {
		err := f.Next(&r)
		if err == io.EOF {
			if i != 4 {
				t.Fatalf("%d records", i)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if !r.Timestamp.Equal(stamps[i]) {
			t.Errorf("record %d at %v, want %v", i, r.Timestamp, stamps[i])
		}
	}
}

// TestPcapngOddBlocks: unknown block types are skipped, several interfaces
// with different link types are told apart, and a block whose length field
// lies ends reading with an error after the good packets.
func TestPcapngOddBlocks(t *testing.T) {
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&buf, pcapgo.NgInterface{LinkType: layers.LinkTypeEthernet, SnapLength: 65535}, pcapgo.DefaultNgWriterOptions)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := w.AddInterface(pcapgo.NgInterface{LinkType: layers.LinkTypeRaw, SnapLength: 65535})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2024, 3, 4, 9, 30, 0, 0, time.UTC)
	f := frame(8)
	if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: t0, CaptureLength: len(f), Length: len(f), InterfaceIndex: 0}, f); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	// An unknown block (type 0x0BAD) between packets: 12 bytes, no body.
	unknown := []byte{0xad, 0x0b, 0, 0, 12, 0, 0, 0, 12, 0, 0, 0}
	buf.Write(unknown)
	ip := f[14:]
	if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: t0.Add(time.Second), CaptureLength: len(ip), Length: len(ip), InterfaceIndex: raw}, ip); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	good := append([]byte(nil), buf.Bytes()...)
	n, sizes, err := readAllRecords(t, good)
	if n != 2 || err != io.EOF {
		t.Fatalf("read %d records (%v), err %v; want 2 and a clean end", n, sizes, err)
	}
	// Link types per interface.
	p := filepath.Join(t.TempDir(), "m.pcapng")
	os.WriteFile(p, good, 0o644)
	cf, err := OpenFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var r Record
	var lts []layers.LinkType
	for cf.Next(&r) == nil {
		lts = append(lts, r.LinkType)
	}
	cf.Close()
	if len(lts) != 2 || lts[0] != layers.LinkTypeEthernet || lts[1] != layers.LinkTypeRaw {
		t.Errorf("link types %v, want Ethernet then raw", lts)
	}
	// A bad block length at the end: the packets before it still come out.
	bad := append(append([]byte(nil), good...), 6, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0)
	n, _, err = readAllRecords(t, bad)
	if n != 2 || err == nil || err == io.EOF {
		t.Errorf("bad block: %d records, err %v; want 2 and an error", n, err)
	}
}
