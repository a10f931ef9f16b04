// Package decode turns a captured frame into a compact packet summary (flow
// key fields, lengths, TCP state, payload) with gopacket's layer decoders,
// reused across packets so the hot path allocates nothing. A frame that
// cannot join a flow comes back with the reason why, to be counted.
package decode
