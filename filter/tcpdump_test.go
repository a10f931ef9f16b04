package filter

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowclass/flowclass/internal/testdata"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// tcpdumpFiles cover every link type the datasets have: Ethernet (with IPv6,
// VLAN and QinQ, IP fragments, truncated packets, ARP), Linux SLL, raw IP,
// raw IPv4 and BSD null, in pcap and pcapng.
var tcpdumpFiles = []string{
	"benign/ndpi_dns_fragmented.pcap",            // Ethernet, IPv4/IPv6 fragments
	"benign/ndpi_false_positives.pcapng",         // Ethernet, QinQ
	"benign/ndpi_ajp.pcap",                       // Ethernet, partly VLAN-tagged
	"benign/ndpi_android.pcap",                   // Ethernet, IPv6, ARP
	"odd/ndpi_badpackets.pcap",                   // Ethernet, snaplen-cut packets
	"benign/ndpi_kakaotalk_talk.pcap",            // Linux SLL
	"benign/ndpi_quic-v2.pcapng",                 // Linux SLL, pcapng
	"benign/ndpi_ocs.pcap",                       // raw IP
	"odd/ndpi_ossfuzz_seed_fake_traces_1.pcapng", // raw IPv4
	"benign/ndpi_opc-ua.pcap",                    // BSD null
	"benign/ndpi_pgsql2.pcapng",                  // BSD null, pcapng
	"malicious/attack_privesc_cve-2020-0796_smbghost_privesc_loopback_traffic.pcapng", // BSD null
}

// tcpdumpExprs are compared on every file. {v4}, {v4dst}, {v6} and {port}
// are replaced by values seen in the file; an expression whose placeholder
// the file cannot fill is skipped for it.
var tcpdumpExprs = []string{
	"",
	"tcp", "udp", "icmp", "icmp6", "ip", "ip6", "arp", "sctp",
	"tcp port 443", "port 53", "udp src port 53", "udp dst port 53",
	"port 80 or port 443", "tcp port http or https or domain",
	"portrange 1-1024", "tcp portrange 1024-65535", "src or dst port {port}",
	"src and dst portrange 1024-65535", "tcp dst port {port}",
	"not tcp", "!udp && !tcp", "ip proto 17", "ip6 proto 6", "proto \\tcp", "ip proto \\udp", "ip6 proto 58",
	"greater 1000", "less 100", "greater 60 and less 200",
	"host {v4}", "src host {v4}", "dst host {v4}", "src {v4} and dst {v4dst}", "src and dst host {v4}",
	"host {v4} and not port 53", "ip host {v4}", "arp host {v4}",
	"ip6 host {v6}", "host {v6}", "src host {v6} or dst {v6}",
	"net 10.0.0.0/8", "net 192.168.0.0/16", "net 172.16.0.0 mask 255.240.0.0", "src net 192.168",
	"ip6 net fe80::/10", "net 2000::/3", "dst net 2001:4860::/32",
	"tcp and (port 80 or port 443) and not host {v4}",
	"tcp or udp and port 53", // and/or bind equally: (tcp or udp) and port 53
	"not (tcp or udp) or icmp",
	"vlan", "vlan and tcp", "vlan and udp port 2152", "vlan 3394 and vlan 113", "vlan 3394 and vlan 113 and udp",
	"vlan and ip6", "not vlan and ip", "vlan 10 or vlan 20",
}

func TestMatchesTcpdump(t *testing.T) {
	tcpdump, err := exec.LookPath("tcpdump")
	if err != nil {
		t.Skip("tcpdump not installed (apt-get install -y tcpdump); skipping the comparison with libpcap")
	}
	dir := testdata.Datasets(t)
	compared, discriminating := 0, 0
	for _, rel := range tcpdumpFiles {
		path := filepath.Join(dir, rel)
		t.Run(rel, func(t *testing.T) {
			pkts := readCapture(t, testdata.Capture(t, rel))
			lts := map[layers.LinkType]bool{}
			for _, p := range pkts {
				lts[p.linkType] = true
			}
			if len(lts) != 1 {
				t.Skipf("%d link types in one file; tcpdump cannot read it", len(lts))
			}
			vals := sampleValues(pkts)
			for _, tmpl := range tcpdumpExprs {
				expr, ok := fill(tmpl, vals)
				if !ok {
					continue
				}
				want, tdErr := tcpdumpCount(t, tcpdump, path, expr)
				got, ourErr := ourCount(pkts, expr)
				switch {
				case tdErr != "" && ourErr != nil:
					// Both refuse (e.g. vlan on Linux SLL).
				case tdErr != "":
					t.Errorf("%q: tcpdump refuses (%s) but we compiled it (%d matches)", expr, tdErr, got)
				case ourErr != nil:
					t.Errorf("%q: tcpdump matches %d but we fail: %v", expr, want, ourErr)
				case got != want:
					t.Errorf("%q: %d matches, tcpdump %d (of %d packets)", expr, got, want, len(pkts))
				}
				compared++
				if want > 0 && want < len(pkts) {
					discriminating++
				}
			}
		})
	}
	t.Logf("%d expression/file pairs compared with tcpdump, %d of them matching some but not all packets", compared, discriminating)
}

// sampleValues picks addresses and a port that occur in the capture.
func sampleValues(pkts []testPacket) map[string]string {
	vals := map[string]string{}
	for _, p := range pkts {
		pkt := gopacket.NewPacket(p.data, p.linkType, gopacket.DecodeOptions{Lazy: true, NoCopy: true})
		if ip, ok := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4); ok && vals["v4"] == "" {
			vals["v4"], vals["v4dst"] = ip.SrcIP.String(), ip.DstIP.String()
		}
		if ip, ok := pkt.Layer(layers.LayerTypeIPv6).(*layers.IPv6); ok && vals["v6"] == "" {
			vals["v6"] = ip.SrcIP.String()
		}
		if tcp, ok := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP); ok && vals["port"] == "" {
			vals["port"] = fmt.Sprint(uint16(tcp.DstPort))
		}
		if udp, ok := pkt.Layer(layers.LayerTypeUDP).(*layers.UDP); ok && vals["port"] == "" {
			vals["port"] = fmt.Sprint(uint16(udp.DstPort))
		}
	}
	return vals
}

func fill(tmpl string, vals map[string]string) (string, bool) {
	for _, k := range []string{"v4dst", "v4", "v6", "port"} {
		ph := "{" + k + "}"
		if strings.Contains(tmpl, ph) {
			if vals[k] == "" {
				return "", false
			}
			tmpl = strings.ReplaceAll(tmpl, ph, vals[k])
		}
	}
	return tmpl, true
}

// tcpdumpCount counts the packets tcpdump writes for expr. A refusal to
// compile is returned as its message, except "rejects all packets", which
// libpcap treats as an error and we as a program that matches nothing.
func tcpdumpCount(t *testing.T, tcpdump, path, expr string) (int, string) {
	t.Helper()
	args := []string{"-n", "-r", path, "-w", "-"}
	if expr != "" {
		args = append(args, expr)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(tcpdump, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if strings.Contains(msg, "expression rejects all packets") {
			return 0, ""
		}
		if msg == "" {
			msg = err.Error()
		}
		return 0, msg
	}
	pkts, err := decodeCapture(stdout.Bytes())
	if err != nil {
		t.Fatalf("read tcpdump output for %q on %s: %v", expr, path, err)
	}
	return len(pkts), ""
}

func ourCount(pkts []testPacket, expr string) (int, error) {
	set, err := NewSet(expr)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range pkts {
		ok, err := set.Match(p.linkType, p.data, p.wireLen)
		if err != nil {
			return 0, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// Every expression we reject as a syntax error, tcpdump rejects too, except
// the few documented divergences.
func TestSyntaxErrorsAgreeWithTcpdump(t *testing.T) {
	tcpdump, err := exec.LookPath("tcpdump")
	if err != nil {
		t.Skip("tcpdump not installed (apt-get install -y tcpdump); skipping the comparison with libpcap")
	}
	// An empty Ethernet capture gives tcpdump a link type to compile for.
	empty := filepath.Join(t.TempDir(), "empty.pcap")
	hdr := []byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0}
	if err := os.WriteFile(empty, hdr, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range syntaxErrorCases {
		if c.tcpdumpAccepts {
			continue
		}
		out, err := exec.Command(tcpdump, "-d", "-r", empty, c.expr).CombinedOutput()
		if err == nil {
			t.Errorf("%q: we reject it (%s) but tcpdump compiles it:\n%s", c.expr, c.msg, out)
		}
	}
}
