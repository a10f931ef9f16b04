package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"os"
)

// Addresses of the single flow (RFC 5737 documentation ranges).
var (
	singleClient = [4]byte{192, 0, 2, 10}
	singleServer = [4]byte{198, 51, 100, 20}
)

const (
	singleClientPort = 40000
	singleServerPort = 5001
	singlePayload    = 16
	// 20 µs apart, so 50 M packets span 1000 s: inside the default active
	// timeout (1800 s) and never idle, so the whole capture is one flow.
	singleGapNS = 20_000
)

// writeSingle writes a classic pcap holding one TCP connection of n packets:
// the handshake, then data from the client with a pure ACK from the server
// after every eighth segment. It writes the records itself from one
// template, patching sequence numbers and checksums, because the generic
// generator is far too slow for tens of millions of packets.
func writeSingle(path string, n int) (err error) {
	if n < 3 {
		return fmt.Errorf("--kind single needs at least 3 packets, got %d", n)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	var gh [24]byte
	binary.LittleEndian.PutUint32(gh[0:], 0xa1b2c3d4) // microsecond pcap
	binary.LittleEndian.PutUint16(gh[4:], 2)
	binary.LittleEndian.PutUint16(gh[6:], 4)
	binary.LittleEndian.PutUint32(gh[16:], 65535)
	binary.LittleEndian.PutUint32(gh[20:], 1) // Ethernet
	if _, err := w.Write(gh[:]); err != nil {
		return err
	}
	var (
		rec       [16 + 14 + 20 + 20 + singlePayload]byte
		clientSeq = uint32(1_000_000)
		serverSeq = uint32(7_000_000)
		ts        = int64(1_764_000_000) * 1e9
		sinceAck  = 0
	)
	put := func(fromClient bool, flags uint8, seq, ack uint32, payload int) error {
		frame := rec[16:]
		clear(frame)
		src, dst := singleClient, singleServer
		sport, dport := uint16(singleClientPort), uint16(singleServerPort)
		mac := [12]byte{0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1}
		if !fromClient {
			src, dst, sport, dport = dst, src, dport, sport
			mac = [12]byte{0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2}
		}
		copy(frame[0:12], mac[:])
		binary.BigEndian.PutUint16(frame[12:], 0x0800)
		ip := frame[14:34]
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(20+20+payload))
		binary.BigEndian.PutUint16(ip[4:], uint16(seq))
		ip[6] = 0x40 // don't fragment
		ip[8] = 64
		ip[9] = 6
		copy(ip[12:16], src[:])
		copy(ip[16:20], dst[:])
		binary.BigEndian.PutUint16(ip[10:], checksum(0, ip))
		tcp := frame[34 : 54+payload]
		binary.BigEndian.PutUint16(tcp[0:], sport)
		binary.BigEndian.PutUint16(tcp[2:], dport)
		binary.BigEndian.PutUint32(tcp[4:], seq)
		binary.BigEndian.PutUint32(tcp[8:], ack)
		tcp[12] = 5 << 4
		tcp[13] = flags
		binary.BigEndian.PutUint16(tcp[14:], 65535)
		for i := 20; i < 20+payload; i++ {
			tcp[i] = byte('a' + i%26)
		}
		// Pseudo-header: addresses, protocol, TCP length.
		var ph uint32
		ph += uint32(binary.BigEndian.Uint16(src[0:])) + uint32(binary.BigEndian.Uint16(src[2:]))
		ph += uint32(binary.BigEndian.Uint16(dst[0:])) + uint32(binary.BigEndian.Uint16(dst[2:]))
		ph += 6 + uint32(len(tcp))
		binary.BigEndian.PutUint16(tcp[16:], checksum(ph, tcp))
		size := 14 + 20 + 20 + payload
		binary.LittleEndian.PutUint32(rec[0:], uint32(ts/1e9))
		binary.LittleEndian.PutUint32(rec[4:], uint32(ts%1e9/1e3))
		binary.LittleEndian.PutUint32(rec[8:], uint32(size))
		binary.LittleEndian.PutUint32(rec[12:], uint32(size))
		ts += singleGapNS
		_, err := w.Write(rec[:16+size])
		return err
	}
	const syn, psh, ack = 0x02, 0x08, 0x10
	if err := put(true, syn, clientSeq, 0, 0); err != nil {
		return err
	}
	clientSeq++
	if err := put(false, syn|ack, serverSeq, clientSeq, 0); err != nil {
		return err
	}
	serverSeq++
	if err := put(true, ack, clientSeq, serverSeq, 0); err != nil {
		return err
	}
	for i := 3; i < n; i++ {
		if sinceAck == 8 {
			if err := put(false, ack, serverSeq, clientSeq, 0); err != nil {
				return err
			}
			sinceAck = 0
			continue
		}
		if err := put(true, psh|ack, clientSeq, serverSeq, singlePayload); err != nil {
			return err
		}
		clientSeq += singlePayload
		sinceAck++
	}
	return w.Flush()
}

// checksum is the Internet checksum of b, starting from the partial sum.
func checksum(sum uint32, b []byte) uint16 {
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}
