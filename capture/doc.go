// Package capture delivers raw packets with their capture metadata (packet
// time, original length, link type) from pcap and pcapng files, gzipped or
// not, and from live Linux interfaces, without cgo or libpcap. It decodes
// nothing: the flow layer above it does.
package capture
