package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// writeSlowly feeds data to w in uneven pieces, so the reader sees short
// reads across record boundaries, then closes w.
func writeSlowly(w *os.File, data []byte, done chan<- error) {
	var err error
	for i, piece := 0, 1; i < len(data) && err == nil; i, piece = i+piece, piece*3%4999+1 {
		_, err = w.Write(data[i:min(i+piece, len(data))])
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	done <- err
}

// TestNonRegularInputs: a named FIFO and a pipe reached through /dev/fd (as
// /dev/stdin is) are read with plain reads to their end, pcap with an old
// version number included (its header is amended in memory: the input
// cannot seek); Size is 0 and Offset counts the bytes taken.
func TestNonRegularInputs(t *testing.T) {
	pkts := handPackets(400) // about 300 KB: more than a pipe holds
	for _, minor := range []uint16{4, 2} {
		data := handPcap(binary.BigEndian, true, minor, pkts)
		t.Run(fmt.Sprintf("fifo 2.%d", minor), func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "fifo")
			if err := syscall.Mkfifo(p, 0o600); err != nil {
				t.Skipf("no FIFO here: %v", err)
			}
			done := make(chan error, 1)
			go func() {
				w, err := os.OpenFile(p, os.O_WRONLY, 0)
				if err != nil {
					done <- err
					return
				}
				writeSlowly(w, data, done)
			}()
			c, err := OpenFile(p)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			checkRecords(t, c, pkts, time.Nanosecond)
			if c.Size() != 0 || c.Offset() != int64(len(data)) {
				t.Errorf("size %d, offset %d; want 0 and %d", c.Size(), c.Offset(), len(data))
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		})
		t.Run(fmt.Sprintf("pipe 2.%d", minor), func(t *testing.T) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			done := make(chan error, 1)
			go writeSlowly(w, data, done)
			c, err := OpenFile(fmt.Sprintf("/dev/fd/%d", r.Fd()))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			checkRecords(t, c, pkts, time.Nanosecond)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestCharacterDevices: devices are read, not refused for their type: an
// empty one and an endless one of zeros are both not captures, at once.
func TestCharacterDevices(t *testing.T) {
	for _, dev := range []string{"/dev/null", "/dev/zero"} {
		if _, err := os.Stat(dev); err != nil {
			t.Skipf("%s: %v", dev, err)
		}
		_, err := OpenFile(dev)
		if !errors.Is(err, ErrNotCapture) {
			t.Errorf("%s: %v, want ErrNotCapture", dev, err)
		}
	}
}
