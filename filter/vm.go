package filter

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// Classic BPF opcode fields (linux/filter.h). x/net/bpf keeps its own copies
// unexported.
const (
	clsMask = 0x07
	clsLD   = 0x00
	clsLDX  = 0x01
	clsST   = 0x02
	clsSTX  = 0x03
	clsALU  = 0x04
	clsJMP  = 0x05
	clsRET  = 0x06
	clsMISC = 0x07

	sizeMask = 0x18
	sizeW    = 0x00
	sizeH    = 0x08
	sizeB    = 0x10

	modeMask = 0xe0
	modeIMM  = 0x00
	modeABS  = 0x20
	modeIND  = 0x40
	modeMEM  = 0x60
	modeLEN  = 0x80
	modeMSH  = 0xa0

	srcX = 0x08

	opMask = 0xf0
	aluAdd = 0x00
	aluSub = 0x10
	aluMul = 0x20
	aluDiv = 0x30
	aluOr  = 0x40
	aluAnd = 0x50
	aluLsh = 0x60
	aluRsh = 0x70
	aluNeg = 0x80
	aluMod = 0x90
	aluXor = 0xa0

	jmpJA   = 0x00
	jmpJEQ  = 0x10
	jmpJGT  = 0x20
	jmpJGE  = 0x30
	jmpJSET = 0x40

	retA = 0x10
	retX = 0x08

	miscTAX = 0x00
	miscTXA = 0x80

	scratchSlots = 16
)

// validate rejects programs the interpreter could not run safely, so run
// needs no bounds checks beyond packet reads: every jump lands inside the
// program, scratch indices are in range, the last instruction returns, and
// no opcode is unknown.
func validate(prog []bpf.RawInstruction) error {
	if len(prog) == 0 || len(prog) > maxInstructions {
		return fmt.Errorf("filter: program length %d not in 1..%d", len(prog), maxInstructions)
	}
	for pc, ins := range prog {
		bad := func(why string) error {
			return fmt.Errorf("filter: instruction %d (op %#x): %s", pc, ins.Op, why)
		}
		switch ins.Op & clsMask {
		case clsLD:
			switch ins.Op & modeMask {
			case modeABS, modeIND:
				if s := ins.Op & sizeMask; s != sizeW && s != sizeH && s != sizeB {
					return bad("bad load size")
				}
			case modeIMM, modeLEN:
			case modeMEM:
				if ins.K >= scratchSlots {
					return bad("scratch index out of range")
				}
			default:
				return bad("bad load mode")
			}
		case clsLDX:
			switch ins.Op & modeMask {
			case modeIMM, modeLEN:
			case modeMSH:
				if ins.Op&sizeMask != sizeB {
					return bad("bad ldx msh size")
				}
			case modeMEM:
				if ins.K >= scratchSlots {
					return bad("scratch index out of range")
				}
			default:
				return bad("bad ldx mode")
			}
		case clsST, clsSTX:
			if ins.K >= scratchSlots {
				return bad("scratch index out of range")
			}
		case clsALU:
			switch ins.Op & opMask {
			case aluDiv, aluMod:
				if ins.Op&srcX == 0 && ins.K == 0 {
					return bad("division by zero")
				}
			case aluAdd, aluSub, aluMul, aluOr, aluAnd, aluLsh, aluRsh, aluNeg, aluXor:
			default:
				return bad("bad ALU operation")
			}
		case clsJMP:
			rest := uint64(len(prog) - pc - 1)
			switch ins.Op & opMask {
			case jmpJA:
				if uint64(ins.K) >= rest {
					return bad("jump out of program")
				}
			case jmpJEQ, jmpJGT, jmpJGE, jmpJSET:
				if uint64(ins.Jt) >= rest || uint64(ins.Jf) >= rest {
					return bad("jump out of program")
				}
			default:
				return bad("bad jump")
			}
		case clsRET:
		case clsMISC:
			if op := ins.Op & 0xf8; op != miscTAX && op != miscTXA {
				return bad("bad misc operation")
			}
		}
	}
	if prog[len(prog)-1].Op&clsMask != clsRET {
		return fmt.Errorf("filter: program does not end with a return")
	}
	return nil
}

// run executes a validated program. data is the captured bytes and wireLen
// the original length, which "len" (greater/less) sees, as in libpcap's
// bpf_filter. A read past the captured bytes rejects the packet, as in the
// kernel and libpcap. It allocates nothing.
func run(prog []bpf.RawInstruction, data []byte, wireLen uint32) uint32 {
	var a, x uint32
	var mem [scratchSlots]uint32
	n := uint64(len(data))
	for pc := 0; pc < len(prog); pc++ {
		ins := &prog[pc]
		switch ins.Op & clsMask {
		case clsLD:
			switch ins.Op & modeMask {
			case modeABS, modeIND:
				off := uint64(ins.K)
				if ins.Op&modeMask == modeIND {
					off += uint64(x)
				}
				switch ins.Op & sizeMask {
				case sizeW:
					if off+4 > n {
						return 0
					}
					a = uint32(data[off])<<24 | uint32(data[off+1])<<16 | uint32(data[off+2])<<8 | uint32(data[off+3])
				case sizeH:
					if off+2 > n {
						return 0
					}
					a = uint32(data[off])<<8 | uint32(data[off+1])
				default:
					if off+1 > n {
						return 0
					}
					a = uint32(data[off])
				}
			case modeIMM:
				a = ins.K
			case modeLEN:
				a = wireLen
			case modeMEM:
				a = mem[ins.K]
			}
		case clsLDX:
			switch ins.Op & modeMask {
			case modeIMM:
				x = ins.K
			case modeLEN:
				x = wireLen
			case modeMEM:
				x = mem[ins.K]
			case modeMSH:
				if uint64(ins.K) >= n {
					return 0
				}
				x = uint32(data[ins.K]&0x0f) * 4
			}
		case clsST:
			mem[ins.K] = a
		case clsSTX:
			mem[ins.K] = x
		case clsALU:
			v := ins.K
			if ins.Op&srcX != 0 {
				v = x
			}
			switch ins.Op & opMask {
			case aluAdd:
				a += v
			case aluSub:
				a -= v
			case aluMul:
				a *= v
			case aluDiv:
				if v == 0 {
					return 0
				}
				a /= v
			case aluMod:
				if v == 0 {
					return 0
				}
				a %= v
			case aluOr:
				a |= v
			case aluAnd:
				a &= v
			case aluXor:
				a ^= v
			case aluLsh:
				if v >= 32 {
					a = 0
				} else {
					a <<= v
				}
			case aluRsh:
				if v >= 32 {
					a = 0
				} else {
					a >>= v
				}
			case aluNeg:
				a = -a
			}
		case clsJMP:
			op := ins.Op & opMask
			if op == jmpJA {
				pc += int(ins.K)
				continue
			}
			v := ins.K
			if ins.Op&srcX != 0 {
				v = x
			}
			var ok bool
			switch op {
			case jmpJEQ:
				ok = a == v
			case jmpJGT:
				ok = a > v
			case jmpJGE:
				ok = a >= v
			case jmpJSET:
				ok = a&v != 0
			}
			if ok {
				pc += int(ins.Jt)
			} else {
				pc += int(ins.Jf)
			}
		case clsRET:
			switch ins.Op & 0x18 {
			case retA:
				return a
			case retX:
				return x
			}
			return ins.K
		case clsMISC:
			if ins.Op&0xf8 == miscTXA {
				a = x
			} else {
				x = a
			}
		}
	}
	return 0
}
