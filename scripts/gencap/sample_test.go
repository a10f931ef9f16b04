package main

import (
	"bufio"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/flowclass/flowclass/internal/testdata"
)

// The committed sample (made by scripts/make-sample.sh with tcpdump) must
// agree with its labels.tsv and README: recount every address's packets and
// time span from the capture with gopacket, the way tcpdump's "host X"
// filter counts them (IPv4 source or destination, ARP sender or target).
func TestCommittedSampleMatchesLabels(t *testing.T) {
	dir := filepath.Join(testdata.RepoRoot(t), "datasets", "sample")
	pcapPath := filepath.Join(dir, "sample.pcap")
	st, err := os.Stat(pcapPath)
	if err != nil {
		t.Fatalf("sample capture missing: %v (run sudo scripts/make-sample.sh)", err)
	}
	if st.Size() >= 2<<20 {
		t.Errorf("sample is %d bytes, want under 2 MB", st.Size())
	}

	type span struct {
		n           int
		first, last time.Time
	}
	seen := map[netip.Addr]*span{}
	note := func(a netip.Addr, ts time.Time) {
		s := seen[a]
		if s == nil {
			s = &span{first: ts}
			seen[a] = s
		}
		s.n++
		s.last = ts
	}
	f, err := os.Open(pcapPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for {
		data, ci, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		total++
		p := gopacket.NewPacket(data, r.LinkType(), gopacket.NoCopy)
		var a, b netip.Addr
		if ip, ok := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4); ok {
			a, _ = netip.AddrFromSlice(ip.SrcIP.To4())
			b, _ = netip.AddrFromSlice(ip.DstIP.To4())
		} else if arp, ok := p.Layer(layers.LayerTypeARP).(*layers.ARP); ok {
			a, _ = netip.AddrFromSlice(arp.SourceProtAddress)
			b, _ = netip.AddrFromSlice(arp.DstProtAddress)
		} else {
			continue
		}
		note(a, ci.Timestamp)
		if b != a {
			note(b, ci.Timestamp)
		}
	}

	lf, err := os.Open(filepath.Join(dir, "labels.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	sc := bufio.NewScanner(lf)
	rows, malicious, benign := 0, 0, 0
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if f[0] == "address" {
			continue
		}
		if len(f) != 7 {
			t.Fatalf("labels.tsv row has %d fields: %q", len(f), sc.Text())
		}
		rows++
		addr := netip.MustParseAddr(f[0])
		s := seen[addr]
		if s == nil {
			t.Errorf("%s is labelled but absent from the capture", addr)
			continue
		}
		n, _ := strconv.Atoi(f[3])
		if n != s.n {
			t.Errorf("%s: labels say %d packets, capture has %d", addr, n, s.n)
		}
		for i, want := range []time.Time{s.first, s.last} {
			got, err := strconv.ParseFloat(f[1+i], 64)
			if err != nil {
				t.Fatalf("%s: bad timestamp %q", addr, f[1+i])
			}
			if d := got - float64(want.UnixNano())/1e9; d > 1e-5 || d < -1e-5 {
				t.Errorf("%s: labelled time %s, capture has %v", addr, f[1+i], want)
			}
		}
		switch f[4] {
		case "malicious":
			malicious++
		case "benign":
			benign++
		default:
			t.Errorf("%s: unknown label %q", addr, f[4])
		}
	}
	if malicious < 5 || benign < 1 {
		t.Errorf("labels hold %d malicious and %d benign addresses; want both kinds", malicious, benign)
	}

	readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`\((\d+) packets, (\d+) bytes\)`).FindSubmatch(readme)
	if m == nil || string(m[1]) != strconv.Itoa(total) || string(m[2]) != strconv.FormatInt(st.Size(), 10) {
		t.Errorf("README states %q, the capture has %d packets and %d bytes", m, total, st.Size())
	}
}
