// Package filter compiles tcpdump-style capture filter expressions into
// classic BPF in pure Go (no libpcap, no cgo), runs them on captured packets
// without allocating, and hands the same program to a live socket (SetBPF).
//
// # Grammar
//
// The supported subset of pcap-filter(7):
//
//	expr      = unary { ("and" | "&&" | "or" | "||") unary }   // equal precedence, left to right
//	unary     = ("not" | "!") unary | "(" expr ")" | primitive
//	primitive = [proto] [dir] ("host" ADDR | "net" NET | "port" PORT | "portrange" PORT-PORT)
//	          | [proto] dir ADDR-OR-NET
//	          | "tcp" | "udp" | "sctp" | "icmp" | "icmp6" | "ip" | "ip6" | "arp" | "rarp"
//	          | ["ip" | "ip6"] "proto" (NUM | \NAME)            // proto \tcp, ip6 proto 58
//	          | "vlan" [ID] | "greater" NUM | "less" NUM
//	          | ID                                              // after host/net/port: same qualifiers
//	proto     = "ip" | "ip6" | "arp" | "rarp" (host, net) | "tcp" | "udp" | "sctp" (port, portrange)
//	dir       = "src" | "dst" | "src or dst" | "src and dst"
//	NET       = IPv4 or IPv6 address ["/" LEN] | IPv4 "mask" IPv4 | partial IPv4 ("10.1")
//	PORT      = number or one of a small table of service names (http, https, domain, ssh, ...)
//
// Numbers are decimal or 0x-hexadecimal. Host names are not resolved. A bare
// identifier reuses the qualifiers of the primitive before it ("tcp dst port
// 80 or 443"), and is an error after a primitive without one ("tcp and
// 1.2.3.4"), as in tcpdump. Errors are *SyntaxError values carrying the byte
// offset of the offending token; an unknown link type wraps ErrLinkType.
//
// # Semantics
//
// The programs test what tcpdump's do (checked against tcpdump in the tests):
// "host" without a protocol also matches ARP and RARP sender/target addresses;
// "port" without a protocol means TCP, UDP or SCTP; IPv4 ports are read only
// from first fragments, past the variable IPv4 header; IPv6 ports and
// protocols are read after the fixed header (protocols also past one fragment
// header); "vlan" matches 802.1Q, 802.1ad and 0x9100 tags and moves every
// later offset in the expression by 4 bytes, as tcpdump does. "greater" and
// "less" test the original (wire) length. "and" and "or" bind equally and
// associate left to right.
//
// Link types: Ethernet (1), raw IP (101, 12, 14), raw IPv4 (228), raw IPv6
// (229), Linux SLL (113), Linux SLL2 (276), BSD null (0, family in host byte
// order: both orders are accepted) and loop (108, network byte order).
//
// # Use
//
//	f, err := filter.New("tcp port 443", layers.LinkTypeEthernet)
//	ok := f.Match(data, ci.Length)      // offline; no allocation
//	raw, _ := f.Raw()                   // live: tpacket.SetBPF(raw)
//
//	set, err := filter.NewSet(expr)     // pcapng with several link types:
//	ok, err := set.Match(lt, data, n)   // compiled once per link type (~0.1 ms)
//
// On a live Linux AF_PACKET socket the kernel strips 802.1Q tags before the
// filter runs, so "vlan" primitives match capture files but not live traffic
// (libpcap uses kernel extensions there; this package does not).
//
// Not supported: packet-data expressions (tcp[13] & 2 != 0), ether/link
// qualifiers, broadcast/multicast, gateway, name resolution, MPLS, PPPoE.
package filter
