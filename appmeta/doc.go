// Package appmeta extracts application-layer identity metadata (TLS SNI,
// ALPN, JA3/JA3S/JA4, HTTP/1.x request fields and response counts, DNS
// question and answer summary, SSH banners) from the first payload bytes of
// a flow, without a DPI engine.
//
// The flow table owns one State per flow, tells it the ports with Init,
// feeds it every payload with Observe and reads Result at expiry. A State is
// 16 bytes, its zero value is usable, and it allocates nothing until a flow
// carries payload that looks like (or is on a port of) a protocol it parses.
// Once each direction's parser has decided, Observe returns at once; only the
// HTTP server direction keeps a cheap, allocation-free scan so that every
// response of a keep-alive flow is counted. A flow of interest costs one
// allocation for its state and one per group of strings it keeps (the
// client hello's, the server hello's, the HTTP request's, a DNS name, an
// SSH line), plus a reassembly buffer while a message spans segments:
// parsers work in place and render into stack buffers.
//
// TCP payload is placed by sequence number into a small per-direction buffer
// (at most MaxBuffer bytes) only while a message is known to be incomplete,
// so a ClientHello split over several segments, arriving out of order or
// retransmitted, is still parsed; past the cap the direction gives up.
//
// Application guess (Meta.Application), first rule that applies:
//  1. "tls" when a TLS ClientHello or ServerHello parsed;
//  2. "http" when an HTTP/1.x request or response parsed;
//  3. "dns" when a DNS message parsed ("mdns" when either port is 5353,
//     "llmnr" for 5355);
//  4. "ssh" when an SSH version banner parsed;
//  5. the name of the well-known service on the server port (transport
//     aware, see portService), then on the client port, for flows whose
//     first packet was the server's;
//  6. "" otherwise.
//
// Without Init, DNS (recognised by port only) and rule 5 are disabled;
// TLS, HTTP and SSH are still recognised by content.
//
// Per flow the first value wins: the first ClientHello and ServerHello, the
// first HTTP request, the first SSH line of each direction, the first DNS
// question and the response answering it (by ID; else the first response).
// HTTP responses are counted over the whole flow.
//
// Out of scope, by design: QUIC and DTLS hellos, TLS after STARTTLS or
// inside HTTP CONNECT, SOCKS or VPN tunnels, SSLv2 hellos, HTTP/2 and HTTP
// over UDP (SSDP), and DNS on ports other than 53, 5353 and 5355.
// SSH client and server lines follow the flow table's direction: a flow
// first seen from the server has them swapped.
package appmeta
