package capture

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

func gzipBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// readRecords reads a capture file to its end: copies of what it delivered,
// and how it ended.
func readRecords(t *testing.T, path string) (recs []Record, end error, c *File) {
	t.Helper()
	c, err := OpenFile(path)
	if err != nil {
		return nil, err, nil
	}
	t.Cleanup(func() { c.Close() })
	for {
		var r Record
		if err := c.Next(&r); err != nil {
			return recs, err, c
		}
		r.Data = append([]byte(nil), r.Data...)
		recs = append(recs, r)
	}
}

// TestGzipCaptures: a gzipped pcap or pcapng file delivers exactly the
// records of the file inside it; its offset counts compressed bytes, up to
// the file's size; a cut or corrupt stream says so after the records
// before the damage.
func TestGzipCaptures(t *testing.T) {
	pkts := handPackets(3000) // about 2.1 MB: several buffer fills
	var ng bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&ng, pcapgo.NgInterface{LinkType: layers.LinkTypeEthernet, SnapLength: 65535}, pcapgo.DefaultNgWriterOptions)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkts {
		if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: p.ts, CaptureLength: len(p.data), Length: p.orig}, p.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	plain := map[string][]byte{
		"pcap":       handPcap(binary.LittleEndian, true, 4, pkts),
		"pcap-be":    handPcap(binary.BigEndian, false, 4, pkts),
		"pcapng":     ng.Bytes(),
		"pcap-v2.2":  handPcap(binary.LittleEndian, false, 2, pkts),
		"one record": handPcap(binary.LittleEndian, false, 4, pkts[:1]),
	}
	dir := t.TempDir()
	for name, data := range plain {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name)
			gz := gzipBytes(t, data)
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p+".gz", gz, 0o644); err != nil {
				t.Fatal(err)
			}
			want, wantEnd, _ := readRecords(t, p)
			got, gotEnd, c := readRecords(t, p+".gz")
			if wantEnd != io.EOF || gotEnd != io.EOF {
				t.Fatalf("ends: plain %v, gzipped %v", wantEnd, gotEnd)
			}
			if len(got) != len(want) || len(want) == 0 {
				t.Fatalf("gzipped: %d records, plain %d", len(got), len(want))
			}
			for i := range want {
				g, w := got[i], want[i]
				if !bytes.Equal(g.Data, w.Data) || !g.Timestamp.Equal(w.Timestamp) || g.Length != w.Length || g.LinkType != w.LinkType {
					t.Fatalf("record %d differs: %d bytes of %d at %v, want %d of %d at %v", i, len(g.Data), g.Length, g.Timestamp, len(w.Data), w.Length, w.Timestamp)
				}
			}
			if c.Size() != int64(len(gz)) || c.Offset() != int64(len(gz)) {
				t.Errorf("size %d, offset %d at the end; the file has %d bytes", c.Size(), c.Offset(), len(gz))
			}
		})
	}

	gz := gzipBytes(t, plain["pcap"])
	cut := filepath.Join(dir, "cut.pcap.gz")
	if err := os.WriteFile(cut, gz[:len(gz)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	recs, end, _ := readRecords(t, cut)
	if !errors.Is(end, ErrTruncated) || len(recs) == 0 || len(recs) >= len(pkts) {
		t.Errorf("cut in half: %d records, then %v; want some records and a truncation", len(recs), end)
	}
	corrupt := append([]byte(nil), gz...)
	for i := len(corrupt) / 2; i < len(corrupt)/2+64; i++ {
		corrupt[i] ^= 0x5a
	}
	bad := filepath.Join(dir, "corrupt.pcap.gz")
	if err := os.WriteFile(bad, corrupt, 0o644); err != nil {
		t.Fatal(err)
	}
	recs, end, _ = readRecords(t, bad)
	if end == nil || end == io.EOF || len(recs) >= len(pkts) || !strings.Contains(end.Error(), bad) {
		t.Errorf("corrupt: %d records, then %v; want an error naming the file", len(recs), end)
	}
	notCapture := filepath.Join(dir, "text.gz")
	if err := os.WriteFile(notCapture, gzipBytes(t, []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenFile(notCapture); !errors.Is(err, ErrNotCapture) {
		t.Errorf("gzipped text: %v, want ErrNotCapture", err)
	}
}
