package synth

// TLS 1.3 handshake messages, well-formed so dissectors can read the SNI,
// ALPN and versions. Everything after the ServerHello is opaque records.

// clientHello writes a ClientHello record into s.text and returns its length.
func (g *gen) clientHello(s *session) int {
	name := hostNames[s.name]
	b := append(s.text[:0], 0x16, 0x03, 0x01, 0, 0) // record header, length later
	b = append(b, 0x01, 0, 0, 0)                    // handshake header, length later
	b = append(b, 0x03, 0x03)
	b = g.appendRandom(b, 32)
	b = append(b, 32)
	b = g.appendRandom(b, 32) // legacy session id
	suites := [...]uint16{0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035}
	b = append(b, 0, byte(2*len(suites)))
	for _, c := range suites {
		b = append(b, byte(c>>8), byte(c))
	}
	b = append(b, 1, 0) // null compression
	extStart := len(b)
	b = append(b, 0, 0)
	// server_name
	n := len(name)
	b = append(b, 0x00, 0x00, byte((n+5)>>8), byte(n+5), byte((n+3)>>8), byte(n+3), 0, byte(n>>8), byte(n))
	b = append(b, name...)
	b = append(b, 0x00, 0x0b, 0x00, 0x02, 0x01, 0x00)                                     // ec_point_formats
	b = append(b, 0x00, 0x0a, 0x00, 0x08, 0x00, 0x06, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18) // supported_groups
	b = append(b, 0x00, 0x23, 0x00, 0x00)                                                 // session_ticket
	b = append(b, 0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c, 2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1')
	b = append(b, 0x00, 0x16, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00) // encrypt_then_mac, extended_master_secret
	sigs := [...]uint16{0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080a, 0x080b, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601}
	b = append(b, 0x00, 0x0d, 0x00, byte(2+2*len(sigs)), 0x00, byte(2*len(sigs)))
	for _, a := range sigs {
		b = append(b, byte(a>>8), byte(a))
	}
	b = append(b, 0x00, 0x2b, 0x00, 0x05, 0x04, 0x03, 0x04, 0x03, 0x03) // supported_versions
	b = append(b, 0x00, 0x2d, 0x00, 0x02, 0x01, 0x01)                   // psk_key_exchange_modes
	b = append(b, 0x00, 0x33, 0x00, 0x26, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20)
	b = g.appendRandom(b, 32) // x25519 key share
	be.PutUint16(b[extStart:], uint16(len(b)-extStart-2))
	putTLSLengths(b)
	return len(b)
}

// serverHello writes ServerHello and ChangeCipherSpec records.
func (g *gen) serverHello(s *session) int {
	b := append(s.text[:0], 0x16, 0x03, 0x03, 0, 0, 0x02, 0, 0, 0, 0x03, 0x03)
	b = g.appendRandom(b, 32)
	b = append(b, 32)
	b = g.appendRandom(b, 32)
	b = append(b, 0x13, 0x01, 0x00)
	b = append(b, 0x00, 0x2e) // extensions length
	b = append(b, 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04)
	b = append(b, 0x00, 0x33, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20)
	b = g.appendRandom(b, 32)
	putTLSLengths(b)
	b = append(b, 0x14, 0x03, 0x03, 0x00, 0x01, 0x01)
	return len(b)
}

// putTLSLengths fills the record and handshake lengths of a record holding
// one handshake message.
func putTLSLengths(b []byte) {
	rec := len(b) - 5
	be.PutUint16(b[3:], uint16(rec))
	hs := rec - 4
	b[6], b[7], b[8] = byte(hs>>16), byte(hs>>8), byte(hs)
}

func (g *gen) appendRandom(b []byte, n int) []byte {
	for i := 0; i < n; i += 8 {
		v := g.rng.Uint64()
		for j := 0; j < 8 && i+j < n; j++ {
			b = append(b, byte(v>>(8*j)))
		}
	}
	return b
}
