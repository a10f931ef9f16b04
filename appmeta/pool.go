package appmeta

// Pool recycles the parser detail of flows that have ended, so a meter
// that passes one to ObserveWith and Release allocates per flow only the
// strings the flow reports: the detail is 640 bytes with pointers, and
// allocating it for each flow of interest was most of the extraction's
// allocated bytes. The zero value is ready. A Pool is not safe for
// concurrent use: give each flow table its own.
type Pool struct {
	free []*detail
}

// poolMax bounds the details a Pool keeps (640 KiB). Flows end and begin
// at about the same rate, so a short list serves them; the end of a
// million-flow flood must not leave a million details reachable.
const poolMax = 1024

func (p *Pool) get() *detail {
	if p == nil || len(p.free) == 0 {
		return &detail{}
	}
	d := p.free[len(p.free)-1]
	p.free = p.free[:len(p.free)-1]
	return d
}

// Release resets s to its zero value, handing its detail to p for another
// flow. What Result returned stays valid: it holds strings, which the
// detail's reuse does not touch.
func (s *State) Release(p *Pool) {
	d := s.d
	*s = State{}
	if d == nil || p == nil || len(p.free) >= poolMax {
		return
	}
	// This drops a reassembly buffer still held by a flow that ended
	// mid-message; a direction that finished has dropped its own.
	*d = detail{}
	p.free = append(p.free, d)
}
