package synth

import "time"

// SSH brute-force sessions: banners, a real key exchange in the clear, then
// a few encrypted login attempts (encrypt-then-MAC, so the length stays
// readable) until the server drops the connection.

const (
	sshServerBanner = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"
	sshClientBanner = "SSH-2.0-libssh_0.10.6\r\n"
	sshMACLen       = 32 // hmac-sha2-256-etm@openssh.com
)

func (g *gen) planSSH(s *session) (int64, bool) {
	b := s.text[:0]
	side := cli
	var delay int64
	proc := func(d int64) int64 { return g.logNormal(d, 0.5, d/5, 20*d) }
	switch s.step {
	case 0:
		b, side, delay = append(b, sshServerBanner...), srv, s.rtt+proc(300*us)
	case 1:
		b, delay = append(b, sshClientBanner...), proc(200*us)
	case 2:
		b, delay = g.sshKexInit(b), proc(50*us)
	case 3:
		b, side, delay = g.sshKexInit(b), srv, s.rtt+proc(300*us)
	case 4:
		b, delay = g.sshPacket(b, 30), proc(300*us) // KEX_ECDH_INIT
	case 5:
		b = g.sshPacket(b, 31) // KEX_ECDH_REPLY
		b = g.sshPacket(b, 21) // NEWKEYS
		side, delay = srv, s.rtt+proc(2*ms)
	case 6:
		b, delay = g.sshPacket(b, 21), proc(300*us)
	default:
		// Encrypted: service request/accept, then password attempts the
		// server rejects after its failure delay.
		i := s.step - 7
		if i/2 >= s.left {
			s.closer, s.rst = srv, false
			return s.rtt + proc(1*ms), false
		}
		size := 32 + 16*g.rng.IntN(4)
		switch {
		case i == 1:
			side, delay = srv, s.rtt+proc(500*us)
		case i%2 == 1:
			side, delay = srv, s.rtt+g.jitter(2*int64(time.Second), 0.25)
		case i == 0:
			delay = proc(100 * us)
		default:
			size = 64 + 16*g.rng.IntN(4)
			delay = proc(200 * us)
		}
		b = be.AppendUint32(b, uint32(size))
		b = b[:len(b)+size+sshMACLen]
		g.binFill(b[4:])
	}
	s.step++
	s.textLen, s.msgLen, s.msgSide, s.body = len(b), len(b), side, bodyBinary
	return delay, true
}

// sshPacket appends an unencrypted binary packet with the given message
// code: KEX_ECDH_INIT (30), KEX_ECDH_REPLY (31) or NEWKEYS (21).
func (g *gen) sshPacket(b []byte, code byte) []byte {
	payload := 1
	switch code {
	case 30:
		payload += 4 + 32
	case 31:
		payload += (4 + 51) + (4 + 32) + (4 + 83)
	}
	pad := 8 - (5+payload)%8
	if pad < 4 {
		pad += 8
	}
	b = be.AppendUint32(b, uint32(1+payload+pad))
	b = append(b, byte(pad), code)
	switch code {
	case 30: // string Q_C
		b = be.AppendUint32(b, 32)
		b = g.appendRandom(b, 32)
	case 31: // string K_S, string Q_S, string signature
		b = be.AppendUint32(b, 51)
		b = be.AppendUint32(b, 11)
		b = append(b, "ssh-ed25519"...)
		b = be.AppendUint32(b, 32)
		b = g.appendRandom(b, 32)
		b = be.AppendUint32(b, 32)
		b = g.appendRandom(b, 32)
		b = be.AppendUint32(b, 83)
		b = be.AppendUint32(b, 11)
		b = append(b, "ssh-ed25519"...)
		b = be.AppendUint32(b, 64)
		b = g.appendRandom(b, 64)
	}
	for i := 0; i < pad; i++ {
		b = append(b, 0)
	}
	return b
}

// sshKexInit appends a KEXINIT packet.
func (g *gen) sshKexInit(b []byte) []byte {
	lists := [...]string{
		"curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,diffie-hellman-group14-sha256,ext-info-c",
		"ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256",
		"aes128-ctr,aes256-ctr,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com",
		"aes128-ctr,aes256-ctr,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com",
		"hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha2-256",
		"hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha2-256",
		"none,zlib@openssh.com",
		"none,zlib@openssh.com",
		"",
		"",
	}
	payload := 1 + 16 + 1 + 4
	for _, l := range lists {
		payload += 4 + len(l)
	}
	pad := 8 - (5+payload)%8
	if pad < 4 {
		pad += 8
	}
	b = be.AppendUint32(b, uint32(1+payload+pad))
	b = append(b, byte(pad), 20)
	b = g.appendRandom(b, 16) // cookie
	for _, l := range lists {
		b = be.AppendUint32(b, uint32(len(l)))
		b = append(b, l...)
	}
	b = append(b, 0, 0, 0, 0, 0) // first_kex_packet_follows, reserved
	for i := 0; i < pad; i++ {
		b = append(b, 0)
	}
	return b
}
