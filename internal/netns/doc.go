// Package netns builds throwaway network namespaces joined to the test's own
// namespace by a veth pair, and sends raw Ethernet frames into them at a
// steady rate, so live-capture tests see real kernel traffic without
// touching any interface or host they did not create.
//
// Everything here is Linux-only and needs root and iproute2; NewPair skips
// the test otherwise.
package netns
