package meter

import (
	"fmt"

	"github.com/flowclass/flowclass/filter"
	"github.com/gopacket/gopacket/layers"
)

// BPF applies one tcpdump-style expression to packets of any link type
// (pcapng files mix them). Packets of a link type the expression cannot be
// compiled for are rejected, counted as filtered, and the reason kept.
type BPF struct {
	set      *filter.Set
	Unusable map[layers.LinkType]error
}

// NewBPF checks the expression's syntax at once, so a typo fails before
// any packet is read.
func NewBPF(expr string) (*BPF, error) {
	s, err := filter.NewSet(expr)
	if err != nil {
		return nil, fmt.Errorf("--bpf %q: %w", expr, err)
	}
	return &BPF{set: s, Unusable: map[layers.LinkType]error{}}, nil
}

// Match reports whether the packet passes.
func (b *BPF) Match(data []byte, wireLen int, lt layers.LinkType) bool {
	ok, err := b.set.Match(lt, data, wireLen)
	if err != nil {
		b.Unusable[lt] = err
		return false
	}
	return ok
}

// ForLink returns the program for one link type, for a live socket.
func (b *BPF) ForLink(lt layers.LinkType) (*filter.Filter, error) { return b.set.For(lt) }
