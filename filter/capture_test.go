package filter

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// testPacket is one captured packet as a reader hands it to the filter.
type testPacket struct {
	linkType layers.LinkType
	data     []byte
	wireLen  int
}

// readCapture loads every packet of a pcap or pcapng file.
func readCapture(tb testing.TB, path string) []testPacket {
	tb.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("read %s: %v", path, err)
	}
	pkts, err := decodeCapture(raw)
	if err != nil {
		tb.Fatalf("parse %s: %v", path, err)
	}
	return pkts
}

func decodeCapture(raw []byte) ([]testPacket, error) {
	var out []testPacket
	if len(raw) >= 4 && bytes.Equal(raw[:4], []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		r, err := pcapgo.NewNgReader(bytes.NewReader(raw), pcapgo.DefaultNgReaderOptions)
		if err != nil {
			return nil, err
		}
		for {
			data, ci, err := r.ReadPacketData()
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			if err != nil {
				return out, err
			}
			iface, err := r.Interface(ci.InterfaceIndex)
			if err != nil {
				return out, err
			}
			out = append(out, testPacket{iface.LinkType, data, ci.Length})
		}
	}
	r, err := pcapgo.NewReader(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		return nil, err
	}
	for {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, testPacket{r.LinkType(), data, ci.Length})
	}
}
