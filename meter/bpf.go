package meter

import (
	"fmt"

	"github.com/flowclass/flowclass/filter"
	"github.com/gopacket/gopacket/layers"
)

// BPF applies one tcpdump-style expression to packets of any link type,
// compiling it once per link type as they appear (pcapng files mix them).
type BPF struct {
	expr   string
	byLink map[layers.LinkType]*filter.Filter
	// Unusable counts packets of link types the expression cannot be
	// compiled for; they are rejected and so counted as filtered.
	Unusable map[layers.LinkType]error
}

// NewBPF checks the expression's syntax at once (against Ethernet) so a
// typo fails before any packet is read.
func NewBPF(expr string) (*BPF, error) {
	b := &BPF{expr: expr, byLink: map[layers.LinkType]*filter.Filter{}, Unusable: map[layers.LinkType]error{}}
	f, err := filter.New(expr, layers.LinkTypeEthernet)
	if err != nil {
		return nil, fmt.Errorf("--bpf %q: %w", expr, err)
	}
	b.byLink[layers.LinkTypeEthernet] = f
	return b, nil
}

// Match reports whether the packet passes.
func (b *BPF) Match(data []byte, wireLen int, lt layers.LinkType) bool {
	f, ok := b.byLink[lt]
	if !ok {
		var err error
		if f, err = filter.New(b.expr, lt); err != nil {
			b.Unusable[lt] = err
		}
		b.byLink[lt] = f
	}
	return f != nil && f.Match(data, wireLen)
}

// ForLink returns the program for one link type, for a live socket.
func (b *BPF) ForLink(lt layers.LinkType) (*filter.Filter, error) {
	return filter.New(b.expr, lt)
}
