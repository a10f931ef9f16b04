//go:build linux

package main

import (
	"strings"
	"testing"
	"time"
)

// TestMarkdownVerdict checks the closing line against rows worked out by
// hand: a target rate where the sender fell short still counts under its
// target, and frames missing without a drop count as drops.
func TestMarkdownVerdict(t *testing.T) {
	c := &Config{Pcap: "x.pcap", Classify: []string{"bench-out/classify"}, Rates: []int{100_000, 500_000, 0}, Batch: 256}
	row := func(rate int, sent uint64, secs float64, read, drops int64) result {
		return result{rate: rate, bin: "classify", sent: sent, sendTime: time.Duration(secs * float64(time.Second)),
			read: read, drops: drops, wall: time.Second}
	}
	rows := []result{
		row(100_000, 1000, 0.01, 1000, 0),  // 100k/s, clean
		row(500_000, 1000, 0.005, 1000, 0), // 200k/s reached, clean
		row(500_000, 1000, 0.004, 990, 10), // 250k/s, drops
		row(0, 1000, 0.008, 995, 0),        // 125k/s, 5 frames lost
	}
	got := markdown(c, rows, 1000, 800_000)
	want := "classify: runs with drops per target rate: 100k/s 0/1, 500k/s 1/2, unpaced 1/1. " +
		"Highest rate reached without drops: 200000/s. Lowest rate reached with drops: 125000/s (target unpaced).\n"
	if !strings.HasSuffix(got, want) {
		t.Errorf("markdown ends:\n%s\nwant:\n%s", got[strings.LastIndex(got[:len(got)-1], "\n")+1:], want)
	}
	if n := strings.Count(got, "\n| "); n != 1+len(rows) { // header + rows
		t.Errorf("%d table lines, want %d:\n%s", n, 1+len(rows), got)
	}
}
