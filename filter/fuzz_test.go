package filter

import (
	"errors"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
)

// FuzzCompile feeds arbitrary expressions to the compiler. It must never
// panic; a syntax error must be a *SyntaxError; a compiled program must
// assemble, pass validation, and give the same verdict as x/net's VM on
// sample packets of each link type, whole and cut short.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		"", "tcp port 443", "udp src port 53", "ip6 host ::1", "net 10.0.0.0/8", "net 10.0.0.0 mask 255.0.0.0",
		"vlan 100 and (tcp or udp)", "not icmp and !arp", "portrange 1-1024 || greater 100", "less 64",
		"proto \\tcp", "ip6 proto 58", "src or dst host 1.2.3.4", "src and dst net 2001:db8::/32",
		"host 1.2.3.4 or 5.6.7.8", "tcp dst port ftp or ftp-data or domain", "((tcp))", "tcp[13] & 2 != 0",
		"vlan or vlan 5 or vlan", "net 192.168",
	} {
		f.Add(s)
	}
	ethers := etherPackets()
	tcp4 := ipv4(6, "10.0.0.1", "192.168.1.2", 0, nil, tcpSeg(12345, 443))
	tcp6 := ipv6(6, "2001:db8::1", "::1", tcpSeg(80, 5555))
	samples := map[layers.LinkType][][]byte{
		layers.LinkTypeEthernet:  {ethers["tcp4"], ethers["frag6"], ethers["arp"], ethers["qinq"]},
		layers.LinkTypeRaw:       {tcp4, tcp6},
		layers.LinkTypeLinuxSLL:  {sll(0x0800, tcp4)},
		layers.LinkTypeLinuxSLL2: {sll2(0x86dd, tcp6)},
		layers.LinkTypeNull:      {{2, 0, 0, 0, 0x45, 0}},
	}
	f.Fuzz(func(t *testing.T, expr string) {
		e, err := Parse(expr)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q): error %T is not a *SyntaxError: %v", expr, err, err)
			}
			_ = se.Error()
			return
		}
		for lt, pkts := range samples {
			flt, err := e.Filter(lt)
			if err != nil {
				continue // e.g. vlan on SLL, or a program over the size limit
			}
			for _, full := range pkts {
				for _, cut := range []int{len(full), len(full) / 2, 1, 0} {
					data := full[:cut]
					got := flt.Match(data, len(data))
					vm, err := bpf.NewVM(flt.insns)
					if err != nil {
						t.Fatalf("%q: x/net rejects our program: %v", expr, err)
					}
					n, err := vm.Run(data)
					if err != nil {
						t.Fatalf("%q: x/net Run: %v", expr, err)
					}
					if got != (n != 0) {
						t.Fatalf("%q on link type %d, %d bytes: we say %v, x/net returns %d", expr, lt, cut, got, n)
					}
				}
			}
		}
	})
}
