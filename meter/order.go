package meter

import (
	"slices"

	"github.com/flowclass/flowclass/features"
	"github.com/flowclass/flowclass/flow"
)

// ExpiryOrder puts the records of one extractor in the order Run's merge
// gives them: by expiry time, then first packet time, then flow id. A flow
// table expires many flows at one instant (a sweep, the end of input) in
// its own slot order; what depends on the order between flows (the
// context columns) must see the same order in train as in classify.
// Records with the same expiry time are copied and held until a later one
// arrives or Flush is called.
type ExpiryOrder struct {
	fn   features.EmitFunc
	held []*features.Record
	free []*features.Record
}

// NewExpiryOrder returns an orderer that passes records on to fn.
func NewExpiryOrder(fn features.EmitFunc) *ExpiryOrder { return &ExpiryOrder{fn: fn} }

// Emit takes one expired flow (an extractor's EmitFunc).
func (o *ExpiryOrder) Emit(r *features.Record) {
	if len(o.held) > 0 && r.Expired != o.held[0].Expired {
		o.Flush()
	}
	var c *features.Record
	if n := len(o.free); n > 0 {
		c, o.free = o.free[n-1], o.free[:n-1]
	} else {
		c = new(features.Record)
	}
	vals, meta := c.Values, c.Meta
	*c = *r
	c.Values = append(vals[:0], r.Values...)
	c.Meta = append(meta[:0], r.Meta...)
	o.held = append(o.held, c)
}

// Flush passes every held record on, in order.
func (o *ExpiryOrder) Flush() {
	// All held records share one expiry time; the rest of markKey's order
	// (one kind, FlowEnd) is first packet, then flow id.
	slices.SortFunc(o.held, func(a, b *features.Record) int { return flow.Order(a.First, a.FlowID, b.First, b.FlowID) })
	for _, r := range o.held {
		o.fn(r)
	}
	o.free = append(o.free, o.held...)
	clear(o.held)
	o.held = o.held[:0]
}
