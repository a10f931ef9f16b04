// Package synth generates realistic, fully deterministic network traffic and
// writes it as an Ethernet pcap or pcapng capture, so the project can make
// benchmark inputs and labelled test captures of any size without shipping any.
//
// Write simulates thousands of concurrent sessions on capture time only (it
// never reads the wall clock): TCP sessions with a three-way handshake,
// HTTP/1.1 and TLS 1.3 exchanges segmented at the MSS with delayed ACKs and
// growing flights, FIN or RST teardown; DNS, NTP and QUIC-like UDP; ICMP
// echo. About a tenth of the sessions run over IPv6 and a twentieth carry an
// 802.1Q tag. Sessions are kept in a priority queue on their next packet time,
// so the output is interleaved in timestamp order. Frames are built by hand
// into one reused buffer with correct lengths and checksums.
//
// The same Config (including Seed) always gives a byte-identical file.
//
// # Addresses
//
// Only documentation and private ranges are used:
//
//	10.1.0.0/16, 2001:db8:1::/48   benign clients
//	192.0.2.0/24, 198.51.100.0/24  benign servers (2001:db8:ff::/48 over IPv6)
//	192.0.2.53, 2001:db8:ff::53    DNS resolver
//	198.51.100.123                 NTP server
//
// # Attacks
//
// Each attack kind has a documented source (Kind.Source) so tests can label
// flows: a flow is malicious exactly when one of its endpoints lies in the
// source prefix of an attack present in the capture (AttackBySource).
//
//	KindPortScan   203.0.113.10    SYN scan of 192.0.2.10, RSTs from closed ports
//	KindSYNFlood   10.128.0.0/9    spoofed SYNs to 192.0.2.80:80, SYN-ACK retries
//	KindUDPFlood   203.0.113.20    UDP junk to 192.0.2.80, many ports
//	KindSlowloris  203.0.113.30    slow partial HTTP headers to 192.0.2.80:80, one every ~10 s
//	KindSSHBrute   203.0.113.40    short SSH sessions to 198.51.100.22:22
//	KindDNSTunnel  10.66.0.66      long random TXT queries to 192.0.2.53
//	KindICMPSweep  203.0.113.70    echo requests across 198.51.100.0/24
package synth
