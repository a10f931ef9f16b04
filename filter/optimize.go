package filter

import "golang.org/x/net/bpf"

// The emitter reloads a field for every test, so "port 53" reads the
// EtherType and the IPv4 header length many times. dropRedundantLoads
// removes a load whose value the register is known to hold already on every
// path that reaches it. Removing it changes no verdict: the earlier load of
// the same bytes succeeded, so this one could not have failed.

// regVal names what a register holds; the zero value means unknown.
type regVal struct {
	known bool
	ins   bpf.Instruction // the load that produced the value
	x     bpf.Instruction // for an indirect load: the X load it depended on
}

type regState struct {
	reachable bool
	a, x      regVal
}

func meetVal(p, q regVal) regVal {
	if p == q {
		return p
	}
	return regVal{}
}

func meet(p, q regState) regState {
	switch {
	case !p.reachable:
		return q
	case !q.reachable:
		return p
	}
	return regState{reachable: true, a: meetVal(p.a, q.a), x: meetVal(p.x, q.x)}
}

// dropRedundantLoads works on the pseudo-code before layout. Jumps only go
// forward and every label comes after all jumps to it, so one pass sees every
// predecessor of a label before the label itself.
func (e *emitter) dropRedundantLoads() {
	pending := make([]regState, e.labels)
	cur := regState{reachable: true}
	out := e.code[:0]
	for _, p := range e.code {
		switch p.kind {
		case pLabel:
			cur = meet(cur, pending[p.t])
		case pCond:
			pending[p.t] = meet(pending[p.t], cur)
			pending[p.f] = meet(pending[p.f], cur)
			cur = regState{}
		case pJump:
			pending[p.t] = meet(pending[p.t], cur)
			cur = regState{}
		case pPlain:
			switch ins := p.ins.(type) {
			case bpf.LoadAbsolute, bpf.LoadExtension:
				v := regVal{known: true, ins: ins}
				if cur.reachable && cur.a == v {
					continue
				}
				cur.a = v
			case bpf.LoadIndirect:
				if !cur.x.known {
					cur.a = regVal{}
					break
				}
				v := regVal{known: true, ins: ins, x: cur.x.ins}
				if cur.reachable && cur.a == v {
					continue
				}
				cur.a = v
			case bpf.LoadMemShift:
				v := regVal{known: true, ins: ins}
				if cur.reachable && cur.x == v {
					continue
				}
				cur.x = v
			case bpf.RetConstant, bpf.RetA:
				cur = regState{}
			default:
				// ALU operations, constants, scratch memory, TAX/TXA: forget
				// both registers rather than reason about them.
				cur.a, cur.x = regVal{}, regVal{}
			}
		}
		out = append(out, p)
	}
	e.code = out
}
