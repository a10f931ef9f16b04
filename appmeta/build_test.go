package appmeta

// Builders for synthetic messages used across the tests. They write the
// wire formats from the RFCs, independently of the parsers.

type chSpec struct {
	version  uint16
	ciphers  []uint16
	exts     []ext // in wire order
	sessID   int
	compress []byte
}

type ext struct {
	typ  uint16
	data []byte
}

func u16(v uint16) []byte { return []byte{byte(v >> 8), byte(v)} }

func u16list(vs ...uint16) []byte {
	var b []byte
	for _, v := range vs {
		b = append(b, u16(v)...)
	}
	return b
}

func vec16(b []byte) []byte { return append(u16(uint16(len(b))), b...) }
func vec8(b []byte) []byte  { return append([]byte{byte(len(b))}, b...) }

func sniExt(name string) ext {
	entry := append([]byte{0}, vec16([]byte(name))...)
	return ext{0x0000, vec16(entry)}
}

func alpnExt(protos ...string) ext {
	var l []byte
	for _, p := range protos {
		l = append(l, vec8([]byte(p))...)
	}
	return ext{0x0010, vec16(l)}
}

func groupsExt(g ...uint16) ext  { return ext{0x000a, vec16(u16list(g...))} }
func sigAlgsExt(a ...uint16) ext { return ext{0x000d, vec16(u16list(a...))} }
func pointsExt(p ...byte) ext    { return ext{0x000b, vec8(p)} }
func versExt(v ...uint16) ext    { return ext{0x002b, vec8(u16list(v...))} }

// handshake wraps a body in a handshake header of type t.
func handshake(t byte, body []byte) []byte {
	n := len(body)
	return append([]byte{t, byte(n >> 16), byte(n >> 8), byte(n)}, body...)
}

// records splits a handshake message into TLS records of at most max
// bytes of fragment each.
func records(msg []byte, max int) []byte {
	var out []byte
	for len(msg) > 0 {
		n := min(len(msg), max)
		out = append(out, 22, 3, 1, byte(n>>8), byte(n))
		out = append(out, msg[:n]...)
		msg = msg[n:]
	}
	return out
}

func (c chSpec) body() []byte {
	var b []byte
	b = append(b, u16(c.version)...)
	b = append(b, make([]byte, 32)...)
	b = append(b, vec8(make([]byte, c.sessID))...)
	b = append(b, vec16(u16list(c.ciphers...))...)
	comp := c.compress
	if comp == nil {
		comp = []byte{0}
	}
	b = append(b, vec8(comp)...)
	if c.exts != nil {
		var e []byte
		for _, x := range c.exts {
			e = append(e, u16(x.typ)...)
			e = append(e, vec16(x.data)...)
		}
		b = append(b, vec16(e)...)
	}
	return b
}

// record is the ClientHello in a single TLS record.
func (c chSpec) record() []byte { return records(handshake(1, c.body()), 1<<14) }

// specHello is the ClientHello behind the JA4 specification's worked
// example (technical_details/JA4.md): 15 ciphers, 16 extensions, ALPN h2,
// the listed signature algorithms, plus GREASE values the spec says to
// ignore.
func specHello() chSpec {
	ciphers := []uint16{0x1a1a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035}
	exts := []ext{
		{0x2a2a, nil},
		{0x001b, []byte{2, 0, 2}},
		sniExt("example.com"),
		{0x0033, vec16(nil)},
		alpnExt("h2", "http/1.1"),
		{0x4469, vec16(nil)},
		{0x0017, nil},
		{0x002d, []byte{1, 1}},
		sigAlgsExt(0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601),
		{0x0005, []byte{1, 0, 0, 0, 0}},
		{0x0023, nil},
		{0x0012, nil},
		versExt(0x3a3a, 0x0304, 0x0303),
		{0xff01, []byte{0}},
		pointsExt(0),
		groupsExt(0x4a4a, 0x001d, 0x0017, 0x0018),
		{0x0015, make([]byte, 20)},
		{0xfafa, []byte{0}},
	}
	return chSpec{version: 0x0303, ciphers: ciphers, exts: exts, sessID: 32}
}

func serverHelloRecord(version, cipher uint16, exts []ext) []byte {
	var b []byte
	b = append(b, u16(version)...)
	b = append(b, make([]byte, 32)...)
	b = append(b, vec8(make([]byte, 32))...)
	b = append(b, u16(cipher)...)
	b = append(b, 0)
	var e []byte
	for _, x := range exts {
		e = append(e, u16(x.typ)...)
		e = append(e, vec16(x.data)...)
	}
	b = append(b, vec16(e)...)
	return records(handshake(2, b), 1<<14)
}

// dnsQuery builds a one-question DNS message.
func dnsQuery(id uint16, response bool, rcode byte, answers uint16, name string, qtype uint16) []byte {
	flags := uint16(0x0100)
	if response {
		flags |= 0x8000
	}
	flags |= uint16(rcode)
	b := append(u16(id), u16(flags)...)
	b = append(b, u16list(1, answers, 0, 0)...)
	start := 0
	for i := 0; i <= len(name); i++ {
		if i == len(name) || name[i] == '.' {
			if i > start {
				b = append(b, byte(i-start))
				b = append(b, name[start:i]...)
			}
			start = i + 1
		}
	}
	b = append(b, 0)
	b = append(b, u16list(qtype, 1)...)
	return b
}
