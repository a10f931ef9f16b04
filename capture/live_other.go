//go:build !linux

package capture

import (
	"fmt"
	"io"
)

// Live is a live capture; this build has none (see ErrLiveUnsupported).
type Live struct{}

var _ Source = (*Live)(nil)
var _ StatsReporter = (*Live)(nil)

// OpenLive always fails outside Linux with an error wrapping
// ErrLiveUnsupported.
func OpenLive(iface string, opts LiveOptions) (*Live, error) {
	return nil, fmt.Errorf("interface %s: %w", iface, ErrLiveUnsupported)
}

// Next never delivers a packet.
func (l *Live) Next(r *Record) error { return io.EOF }

// Close does nothing.
func (l *Live) Close() error { return nil }

// Stop does nothing: there is no live capture here.
func (l *Live) Stop() {}

// Stats is always empty.
func (l *Live) Stats() Stats { return Stats{} }
