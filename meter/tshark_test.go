package meter

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/flowclass/flowclass/features"
	"github.com/flowclass/flowclass/flow"
	"github.com/flowclass/flowclass/internal/testdata"
)

// tuple is a direction-free 5-tuple as tshark's fields can express it:
// transport "tcp", "udp" or "other" (no ports), endpoints sorted.
type tuple struct {
	class     string
	a, b      string
	portA, pB string
}

func makeTuple(class, src, dst, sport, dport string) tuple {
	if class == "other" {
		sport, dport = "", ""
	}
	if src > dst || (src == dst && sport > dport) {
		src, dst, sport, dport = dst, src, dport, sport
	}
	return tuple{class, src, dst, sport, dport}
}

type counts struct{ packets, bytes uint64 }

// tsharkTuples sums tshark's per-packet fields per tuple. Intended
// differences from a plain reading, each mirroring what the flow meter does:
//   - tunnels (IP-in-IP, GRE, ICMP errors quoting a packet): the outermost
//     IP header and the transport right after it decide the tuple, so ports
//     of an inner packet are not used;
//   - IPv4/IPv6 fragments: later fragments take the ports of the first
//     fragment of the same datagram when it was seen, and are left out
//     when it was not (the meter counts them as fragment_without_ports).
func tsharkTuples(t *testing.T, path string) map[tuple]counts {
	t.Helper()
	cmd := exec.Command("tshark", "-r", path, "-n", "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
		"-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,",
		"-e", "frame.protocols", "-e", "ip.src", "-e", "ipv6.src", "-e", "ip.dst", "-e", "ipv6.dst",
		"-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "udp.srcport", "-e", "udp.dstport", "-e", "frame.len",
		"-e", "ip.id", "-e", "ip.frag_offset", "-e", "ip.flags.mf", "-e", "ipv6.fraghdr.ident", "-e", "ipv6.fraghdr.offset", "-e", "ipv6.fraghdr.more")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark %s: %v: %s", path, err, stderr.String())
	}
	first := func(s string) string {
		if i := strings.IndexByte(s, ','); i >= 0 {
			return s[:i]
		}
		return s
	}
	type fragPorts struct{ class, sport, dport string }
	frags := map[string]fragPorts{}
	res := map[tuple]counts{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 16 {
			t.Fatalf("tshark line with %d fields: %q", len(f), sc.Text())
		}
		protos := strings.Split(f[0], ":")
		ipAt, v6 := -1, false
		for i, p := range protos {
			if p == "ip" || p == "ipv6" {
				ipAt, v6 = i, p == "ipv6"
				break
			}
			if p == "pppoes" || p == "llc" {
				break // encapsulations the meter does not open: non-IP to it
			}
		}
		if ipAt < 0 {
			continue
		}
		src, dst := first(f[1]), first(f[3])
		if v6 {
			src, dst = first(f[2]), first(f[4])
		}
		class := "other"
		for _, p := range protos[ipAt+1:] {
			if strings.HasPrefix(p, "ipv6.") || p == "ah" {
				continue
			}
			if p == "tcp" || p == "udp" {
				class = p
			}
			break
		}
		sport, dport := first(f[5]), first(f[6])
		if class == "udp" {
			sport, dport = first(f[7]), first(f[8])
		}
		fragID, off, more := first(f[10]), first(f[11]), first(f[12])
		if v6 {
			fragID, off, more = first(f[13]), first(f[14]), first(f[15])
		}
		if fragID != "" && (off != "" && off != "0" || more == "1" || more == "True") {
			key := src + ">" + dst + "#" + fragID
			if off == "0" || off == "" {
				frags[key] = fragPorts{class, sport, dport}
			} else {
				fp, ok := frags[key]
				if !ok {
					continue
				}
				class, sport, dport = fp.class, fp.sport, fp.dport
			}
		}
		n, err := strconv.ParseUint(f[9], 10, 64)
		if err != nil {
			t.Fatalf("frame.len %q: %v", f[9], err)
		}
		k := makeTuple(class, src, dst, sport, dport)
		c := res[k]
		c.packets++
		c.bytes += n
		res[k] = c
	}
	return res
}

func meterTuples(t *testing.T, path string) (map[tuple]counts, features.Counters) {
	t.Helper()
	schema, err := features.NewSchema(features.Config{})
	if err != nil {
		t.Fatal(err)
	}
	pk, by := schema.Index("bidirectional_packets"), schema.Index("bidirectional_bytes")
	res := map[tuple]counts{}
	e := features.NewExtractor(schema, flow.Config{}, func(r *features.Record) {
		class := "other"
		switch r.Proto {
		case 6:
			class = "tcp"
		case 17:
			class = "udp"
		}
		k := makeTuple(class, r.Src.String(), r.Dst.String(), strconv.Itoa(int(r.SrcPort)), strconv.Itoa(int(r.DstPort)))
		c := res[k]
		c.packets += uint64(r.Values[pk])
		c.bytes += uint64(r.Values[by])
		res[k] = c
	}, 1, 1)
	results := ReadFiles([]string{path}, e, nil)
	if err := Errors(results); err != nil {
		t.Logf("%s: %v", path, err)
	}
	return res, e.Counters()
}

// tsharkCaptures picks captures of every link type and encapsulation the
// meter supports: pcapng, VLAN, IPv6, raw IP, Linux cooked, BSD null.
func tsharkCaptures(t *testing.T, dir string) []string {
	t.Helper()
	if os.Getenv("FLOWCLASS_TSHARK_ALL") != "" {
		var all []string
		for _, sub := range []string{"benign", "malicious", "mixed"} {
			m, _ := filepath.Glob(filepath.Join(dir, sub, "*"))
			all = append(all, m...)
		}
		return all
	}
	names := []string{
		"benign/ndpi_kakaotalk_chat.pcap",         // Linux SLL
		"malicious/ndpi_dns2tcp_tunnel.pcap",      // Linux SLL
		"benign/ndpi_bets.pcapng",                 // pcapng, raw IP
		"benign/ndpi_bjnp.pcap",                   // raw IP
		"benign/ndpi_codm.pcap",                   // raw IP
		"benign/ndpi_hls.pcapng",                  // pcapng, raw IP
		"benign/ndpi_ajp.pcap",                    // VLAN
		"benign/ndpi_false_positives.pcapng",      // pcapng, VLAN
		"benign/ndpi_hsrp2_ipv6.pcapng",           // pcapng, VLAN, IPv6
		"benign/ndpi_alexa-app.pcapng",            // pcapng, IPv6
		"benign/ndpi_doq.pcapng",                  // pcapng, IPv6
		"benign/ndpi_dns-google-nsid.pcapng",      // pcapng, IPv6
		"benign/ndpi_4in4tunnel.pcap",             // IP-in-IP, VLAN
		"benign/ndpi_6in4tunnel.pcap",             // IPv6 in IPv4
		"benign/ndpi_4in6tunnel.pcap",             // IPv4 in IPv6
		"benign/ndpi_gre.pcapng",                  // GRE
		"benign/ndpi_dns_fragmented.pcap",         // IP fragments
		"benign/ndpi_http_ipv6.pcap",              // IPv6 TCP
		"benign/ndpi_443-firefox.pcap",            // TLS
		"benign/ndpi_1kxun.pcap",                  // mixed, IPv6
		"benign/iotlab_schlage-lock-01.pcap",      // VLAN
		"benign/kholia_vtp.pcap",                  // VLAN, non-IP
		"benign/iti_ics_iec61850-goose.pcap",      // VLAN, non-IP
		"malicious/ndpi_synscan.pcap",             // scan
		"malicious/doup_icmp-blacknurse-dos.pcap", // ICMP errors
		"malicious/ndpi_tcp_scan.pcapng",          // pcapng scan
		"malicious/slips_arp-scan.pcap",           // ARP
		"mixed/elcab_rig-ek-infection-mixed.pcap", // larger, mixed
	}
	// BSD null/loop captures, whatever they are called.
	if m, err := os.ReadFile(filepath.Join(dir, "MANIFEST.tsv")); err == nil {
		for _, line := range strings.Split(string(m), "\n") {
			f := strings.Split(line, "\t")
			if len(f) > 7 && (f[7] == "null" || f[7] == "rawip4") && !strings.HasPrefix(f[0], "odd/") {
				names = append(names, f[0])
			}
		}
	}
	var out []string
	for _, n := range names {
		p := filepath.Join(dir, n)
		if _, err := os.Stat(p); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// TestCountsMatchTshark checks per-flow packet and byte counts against
// tshark's own dissection of real captures.
func TestCountsMatchTshark(t *testing.T) {
	dir := testdata.Datasets(t)
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not installed (apt-get install tshark); skipping the comparison with tshark")
	}
	files := tsharkCaptures(t, dir)
	if len(files) < 20 {
		t.Fatalf("only %d comparison captures found", len(files))
	}
	for _, path := range files {
		path := path
		t.Run(filepath.Base(path), func(t *testing.T) {
			want := tsharkTuples(t, path)
			got, cnt := meterTuples(t, path)
			var diffs []string
			for k, w := range want {
				if g := got[k]; g != w {
					diffs = append(diffs, fmt.Sprintf("%v: tshark %d pkts %d bytes, meter %d pkts %d bytes", k, w.packets, w.bytes, g.packets, g.bytes))
				}
			}
			for k, g := range got {
				if _, ok := want[k]; !ok {
					diffs = append(diffs, fmt.Sprintf("%v: only in meter: %d pkts %d bytes", k, g.packets, g.bytes))
				}
			}
			sort.Strings(diffs)
			if len(diffs) > 0 {
				if len(diffs) > 10 {
					diffs = append(diffs[:10], fmt.Sprintf("... and %d more", len(diffs)-10))
				}
				t.Errorf("%d tuples differ (skipped: %v):\n%s", len(diffs), cnt.Skipped, strings.Join(diffs, "\n"))
			}
			if cnt.Read != cnt.InFlows+cnt.SkippedTotal() {
				t.Errorf("accounting: read %d != in flows %d + skipped %d", cnt.Read, cnt.InFlows, cnt.SkippedTotal())
			}
		})
	}
}
