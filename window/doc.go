// Package window computes per-window traffic statistics from expired flow
// records: the volume, spread and TCP-state mix of the traffic in tumbling
// windows of packet time, which show scans and floods no single flow does.
// Aggregator writes one row per window; Context gives each flow its own
// context columns (model inputs) from its window and the one before.
//
// # Attribution
//
// A flow belongs to the window [k·W, (k+1)·W) holding its last packet time
// (Record.Last). Flows are only seen whole, when they expire, so the window
// a flow ends in is the one place it can be counted once and completely;
// splitting its packets across the windows they arrived in would need
// per-packet hooks in the meter. A long flow therefore adds all its
// packets and bytes to the window it ends in.
//
// Records reach the aggregator in the order flows expire, which is not the
// order of their last packets: an idle flow comes out an idle timeout after
// its last packet. A window is therefore written once a record whose last
// packet is at least Options.Hold past the window's end arrives (callers
// pass the flow idle timeout plus one window), and at Flush. A record for a
// window already written is not counted in any row; its count goes to the
// LateFlows column of the next row written. Only windows that hold flows
// are written (a gap in window_start is a window without flows).
//
// # Statistics
//
// Per window: flows; packets (sum of bidirectional_packets); bytes up
// (src2dst_bytes, client to server) and down (dst2src_bytes); distinct
// source and destination addresses over all flows; distinct source and
// destination ports over TCP and UDP flows (other protocols have no ports;
// ICMP's type and code are not counted as ports); conversations, the
// distinct (source, destination) address pairs.
//
// TCP flows are counted by state, the first rule that holds:
//
//	reset        an RST was seen either way (src2dst_rst_packets+dst2src_rst_packets > 0)
//	             or the flow expired by tcp_rst
//	closed       FIN both ways (src2dst_fin_packets > 0 and dst2src_fin_packets > 0)
//	             or the flow expired by tcp_fin
//	closing      FIN one way only
//	established  the three-way handshake was seen (tcp_handshake_seen = 1)
//	connecting   SYN from the client and SYN(-ACK) from the server, handshake not completed
//	new          SYN from the client only (src2dst_syn_packets > 0, dst2src_syn_packets = 0)
//	other        none of these: no SYN from the client, e.g. a flow already
//	             running when the capture began, or a lone SYN-ACK (backscatter)
//
// Group sizes, each with max, mean and the 25th, 50th, 75th and 90th
// percentiles (numpy's linear interpolation):
//
//	flows_per_conv       flows per conversation (all flows)
//	dst_ports_per_conv   distinct destination ports per conversation (TCP/UDP)
//	dst_ports_per_src    distinct destination ports per source address (TCP/UDP): a vertical scan
//	dst_ips_per_src      distinct destination addresses per source address: a sweep
//	src_ips_per_dst      distinct source addresses per destination address: a flood or DDoS
//	src_ips_per_dport    distinct source addresses per destination port (TCP/UDP)
//
// # Memory and error
//
// Distinct counters hold 64-bit hashes of their values exactly up to
// Options.ExactLimit values (65,536 by default; hash collisions are below
// one in 10^9 there) and then switch to a HyperLogLog sketch of precision
// 14 (16 KiB, relative standard error 1.04/√16384 = 0.81%), never reporting
// less than the exact count reached before the switch. The Exact column
// is 0 when any figure of the row came from a sketch.
//
// A grouping holds about Options.GroupBudget exact entries (65,536 by
// default: one per group plus its members; a sketch counts 400), and a
// group's members switch to a sketch past a quarter of the budget. Past
// the budget the grouping keeps only the groups whose key hash starts with
// k zero bits, k rising one at a time until it fits (plus the 8 largest
// groups at each such step), so a scan from millions of spoofed sources
// costs bounded memory: about 20 MB per window in the test of a million
// sources. The mean and percentiles are then computed over that uniform
// 2^-k sample of groups (the _sample column) and estimate those over all
// groups; the max is over every group kept, a lower bound. Every group that
// stays in the sample is counted completely.
package window
