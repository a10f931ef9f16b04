package appmeta

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

// payloadEvent is one payload of a flow, as the harness saw it.
type payloadEvent struct {
	dir     int
	isTCP   bool
	seq     uint32
	payload []byte
}

// TestPoolReuseLeavesNoTrace: every flow of the shared captures gives the
// same Result when its State takes a detail a previous flow released into
// a Pool as when it allocates its own. Flows run one after another through
// one Pool, so each reuses the detail of the flow before it.
func TestPoolReuseLeavesNoTrace(t *testing.T) {
	if testing.Short() {
		t.Skip("reads the shared captures; skipped with -short")
	}
	files := sharedCaptures(t, func(p string, size int64) bool {
		return (strings.Contains(p, "/benign/") || strings.Contains(p, "/malicious/")) && size < 8<<20
	})
	var pool Pool
	flows, detailed, reused := 0, 0, 0
	for _, f := range files {
		type flowEvents struct {
			client     netip.AddrPort
			tcp        bool
			cport, srv uint16
			ev         []payloadEvent
		}
		byKey := map[flowKey]*flowEvents{}
		var order []*flowEvents
		err := eachPayload(t, f, func(isTCP bool, s, d netip.AddrPort, seq uint32, p []byte) {
			k := canonKey(isTCP, s, d)
			fl := byKey[k]
			if fl == nil {
				fl = &flowEvents{client: s, tcp: isTCP, cport: s.Port(), srv: d.Port()}
				byKey[k] = fl
				order = append(order, fl)
			}
			dir := 0
			if s != fl.client {
				dir = 1
			}
			fl.ev = append(fl.ev, payloadEvent{dir, isTCP, seq, append([]byte(nil), p...)})
		})
		if err != nil {
			continue
		}
		for _, fl := range order {
			var fresh, pooled State
			fresh.Init(fl.tcp, fl.cport, fl.srv)
			pooled.Init(fl.tcp, fl.cport, fl.srv)
			had := len(pool.free) > 0
			for _, e := range fl.ev {
				fresh.Observe(e.dir, e.isTCP, e.seq, e.payload)
				pooled.ObserveWith(&pool, e.dir, e.isTCP, e.seq, e.payload)
			}
			want, got := fmt.Sprintf("%+v", fresh.Result()), fmt.Sprintf("%+v", pooled.Result())
			if got != want {
				t.Fatalf("%s: flow %v: with a reused detail\n%s\nwant\n%s", f, fl.client, got, want)
			}
			flows++
			if pooled.d != nil {
				detailed++
				if had {
					reused++
				}
			}
			pooled.Release(&pool)
			if pooled != (State{}) {
				t.Fatalf("Release left %+v", pooled)
			}
		}
	}
	if reused == 0 {
		t.Skip("no flow reused a detail")
	}
	t.Logf("%d flows, %d with a detail, %d of them reused one", flows, detailed, reused)
}

// TestPoolIsBounded: a pool keeps at most poolMax details, however many
// flows end at once.
func TestPoolIsBounded(t *testing.T) {
	var pool Pool
	for i := 0; i < 3*poolMax; i++ {
		var s State
		s.Init(false, 53000, 53)
		s.ObserveWith(&pool, 0, false, 0, dnsQuery(42, false, 0, 0, "pool.example", 1))
		if s.d == nil {
			t.Fatal("a DNS query left no detail")
		}
		s.Release(nil) // the flows end together: nothing comes back yet
	}
	var states [3 * poolMax]State
	for i := range states {
		states[i].Init(false, 53000, 53)
		states[i].ObserveWith(&pool, 0, false, 0, dnsQuery(42, false, 0, 0, "pool.example", 1))
	}
	for i := range states {
		states[i].Release(&pool)
	}
	if len(pool.free) != poolMax {
		t.Errorf("pool keeps %d details, want %d", len(pool.free), poolMax)
	}
}
