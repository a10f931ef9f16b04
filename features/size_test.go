package features

import (
	"encoding/binary"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/flowclass/flowclass/capture"
	"github.com/flowclass/flowclass/flow"
	"github.com/gopacket/gopacket/layers"
)

// TestStatePerFlow keeps a flow's fixed state (its accumulator and its
// table entry) within 1 KiB, and measures what an active flow costs on the
// heap with everything around it (index, sample buffer, slab chunks).
func TestStatePerFlow(t *testing.T) {
	fixed := unsafe.Sizeof(Accumulator{}) + unsafe.Sizeof(flow.Flow{})
	t.Logf("fixed state: accumulator %d B + flow %d B = %d B", unsafe.Sizeof(Accumulator{}), unsafe.Sizeof(flow.Flow{}), fixed)
	if fixed > 1024 {
		t.Errorf("fixed per-flow state is %d bytes, want at most 1024", fixed)
	}

	schema, err := NewSchema(Config{})
	if err != nil {
		t.Fatal(err)
	}
	const flows = 200_000
	e := NewExtractor(schema, flow.Config{MaxFlows: 2 * flows}, nil, 1, 1)
	base := tcpFrame(t, true, "S", 1024, 0)
	rec := capture.Record{LinkType: layers.LinkTypeEthernet}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; i < flows; i++ {
		f := append([]byte(nil), base...)
		binary.BigEndian.PutUint32(f[26:30], 0x0a000000+uint32(i)) // a new source each time
		rec.Data, rec.Length = f, len(f)
		rec.Timestamp = time.Unix(0, t0+int64(i)*1000)
		e.Packet(&rec)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if n := e.Counters().Flows.Active; n != flows {
		t.Fatalf("%d active flows, want %d", n, flows)
	}
	per := float64(after.HeapAlloc-before.HeapAlloc) / flows
	t.Logf("heap per active flow, everything included: %.0f B", per)
	if per > 1536 {
		t.Errorf("an active flow costs %.0f heap bytes, want at most 1536", per)
	}
	runtime.KeepAlive(e)
}
