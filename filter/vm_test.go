package filter

import (
	"math/rand"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
)

// xnetRun runs a program in x/net's VM, which knows no wire length: the
// comparison uses wireLen == len(data).
func xnetRun(tb testing.TB, insns []bpf.Instruction, data []byte) uint32 {
	tb.Helper()
	vm, err := bpf.NewVM(insns)
	if err != nil {
		tb.Fatalf("x/net NewVM: %v", err)
	}
	n, err := vm.Run(data)
	if err != nil {
		tb.Fatalf("x/net Run: %v", err)
	}
	return uint32(n)
}

// Our interpreter and x/net's must agree on every compiled program, including
// on packets cut short at every length.
func TestVMAgreesWithXNetOnCompiledPrograms(t *testing.T) {
	exprs := []string{
		"tcp port 443", "port 53", "portrange 5000-6000", "host 10.0.0.1", "net 2001:db8::/32",
		"vlan 100 and tcp", "not (tcp or udp) or icmp", "ip6 proto 17", "greater 60", "less 54",
	}
	pkts := etherPackets()
	for _, expr := range exprs {
		f, err := New(expr, layers.LinkTypeEthernet)
		if err != nil {
			t.Fatalf("New(%q): %v", expr, err)
		}
		for name, full := range pkts {
			for cut := 0; cut <= len(full); cut++ {
				data := full[:cut]
				want := xnetRun(t, f.insns, data)
				if got := run(f.raw, data, uint32(len(data))); got != want {
					t.Fatalf("%q on %s cut to %d: ours %d, x/net %d", expr, name, cut, got, want)
				}
			}
		}
	}
}

// randomProgram builds a valid program from the whole instruction set x/net's
// VM implements, with forward jumps inside the program and a final return.
func randomProgram(r *rand.Rand, n int) []bpf.Instruction {
	aluOps := []bpf.ALUOp{bpf.ALUOpAdd, bpf.ALUOpSub, bpf.ALUOpMul, bpf.ALUOpDiv, bpf.ALUOpOr,
		bpf.ALUOpAnd, bpf.ALUOpShiftLeft, bpf.ALUOpShiftRight, bpf.ALUOpMod, bpf.ALUOpXor}
	conds := []bpf.JumpTest{bpf.JumpEqual, bpf.JumpNotEqual, bpf.JumpGreaterThan, bpf.JumpLessThan,
		bpf.JumpGreaterOrEqual, bpf.JumpLessOrEqual, bpf.JumpBitsSet, bpf.JumpBitsNotSet}
	sizes := []int{1, 2, 4}
	small := func() uint32 { return uint32(r.Intn(70)) }
	prog := make([]bpf.Instruction, 0, n+1)
	for i := 0; i < n; i++ {
		rest := n - i // instructions after this one, counting the final return
		skip := func() uint8 { return uint8(r.Intn(min(rest, 20))) }
		var ins bpf.Instruction
		switch r.Intn(16) {
		case 0:
			ins = bpf.LoadAbsolute{Off: small(), Size: sizes[r.Intn(3)]}
		case 1:
			ins = bpf.LoadIndirect{Off: small(), Size: sizes[r.Intn(3)]}
		case 2:
			ins = bpf.LoadMemShift{Off: small()}
		case 3:
			ins = bpf.LoadConstant{Dst: bpf.Register(r.Intn(2)), Val: r.Uint32() >> uint(r.Intn(32))}
		case 4:
			ins = bpf.LoadScratch{Dst: bpf.Register(r.Intn(2)), N: r.Intn(16)}
		case 5:
			ins = bpf.StoreScratch{Src: bpf.Register(r.Intn(2)), N: r.Intn(16)}
		case 6:
			v := r.Uint32() >> uint(r.Intn(32))
			op := aluOps[r.Intn(len(aluOps))]
			if (op == bpf.ALUOpDiv || op == bpf.ALUOpMod) && v == 0 {
				v = 3
			}
			ins = bpf.ALUOpConstant{Op: op, Val: v}
		case 7:
			ins = bpf.ALUOpX{Op: aluOps[r.Intn(len(aluOps))]}
		case 8, 9:
			ins = bpf.JumpIf{Cond: conds[r.Intn(len(conds))], Val: r.Uint32() >> uint(r.Intn(32)), SkipTrue: skip(), SkipFalse: skip()}
		case 10:
			ins = bpf.JumpIfX{Cond: conds[r.Intn(len(conds))], SkipTrue: skip(), SkipFalse: skip()}
		case 11:
			ins = bpf.Jump{Skip: uint32(skip())}
		case 12:
			ins = bpf.TAX{}
		case 13:
			ins = bpf.TXA{}
		case 14:
			ins = bpf.LoadExtension{Num: bpf.ExtLen}
		default:
			if r.Intn(4) == 0 {
				ins = bpf.RetA{}
			} else {
				ins = bpf.LoadAbsolute{Off: small(), Size: 1}
			}
		}
		prog = append(prog, ins)
	}
	return append(prog, bpf.RetA{})
}

func TestVMAgreesWithXNetOnRandomPrograms(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	data := make([]byte, 64)
	checked := 0
	for i := 0; i < 3000; i++ {
		insns := randomProgram(r, 1+r.Intn(40))
		raw, err := bpf.Assemble(insns)
		if err != nil {
			t.Fatalf("assemble: %v", err)
		}
		if err := validate(raw); err != nil {
			t.Fatalf("validate rejected a valid program: %v\n%v", err, insns)
		}
		for j := 0; j < 5; j++ {
			r.Read(data)
			d := data[:r.Intn(len(data)+1)]
			want := xnetRun(t, insns, d)
			if got := run(raw, d, uint32(len(d))); got != want {
				t.Fatalf("program %v on % x: ours %d, x/net %d", insns, d, got, want)
			}
			checked++
		}
	}
	t.Logf("%d random program runs agree with x/net's VM", checked)
}

func TestValidateRejects(t *testing.T) {
	cases := map[string][]bpf.RawInstruction{
		"empty":          nil,
		"no return":      {{Op: clsLD | modeIMM, K: 1}},
		"jump past end":  {{Op: clsJMP | jmpJEQ, Jt: 1, Jf: 0}, {Op: clsRET, K: 1}},
		"ja past end":    {{Op: clsJMP | jmpJA, K: 5}, {Op: clsRET}},
		"scratch range":  {{Op: clsST, K: 16}, {Op: clsRET}},
		"divide by zero": {{Op: clsALU | aluDiv, K: 0}, {Op: clsRET}},
		"bad alu":        {{Op: clsALU | 0xf0}, {Op: clsRET}},
		"bad ld mode":    {{Op: clsLD | 0xc0}, {Op: clsRET}},
	}
	for name, prog := range cases {
		if err := validate(prog); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// Match must not allocate; x/net's VM is measured for the record.
func TestMatchDoesNotAllocate(t *testing.T) {
	f, err := New("tcp port 443 or (udp and port 53) or ip6 net 2001:db8::/32", layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	pkt := etherPackets()["opts4"]
	if n := testing.AllocsPerRun(100, func() { f.Match(pkt, len(pkt)) }); n != 0 {
		t.Errorf("Match allocates %.1f times per packet", n)
	}
	vm, err := bpf.NewVM(f.insns)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("x/net VM: %.1f allocations per Run", testing.AllocsPerRun(100, func() { vm.Run(pkt) }))
}

func BenchmarkMatch(b *testing.B) {
	f, err := New("tcp port 443 or (udp and port 53) or ip6 net 2001:db8::/32", layers.LinkTypeEthernet)
	if err != nil {
		b.Fatal(err)
	}
	pkts := etherPackets()
	batch := [][]byte{pkts["tcp4"], pkts["udp4"], pkts["tcp6"], pkts["opts4"], pkts["arp"], pkts["vlan"]}
	b.ReportAllocs()
	b.ResetTimer()
	matched := 0
	for i := 0; i < b.N; i++ {
		p := batch[i%len(batch)]
		if f.Match(p, len(p)) {
			matched++
		}
	}
	if matched == 0 {
		b.Fatal("nothing matched")
	}
}

// BenchmarkXNetVM is the same workload in x/net's VM, for comparison.
func BenchmarkXNetVM(b *testing.B) {
	f, err := New("tcp port 443 or (udp and port 53) or ip6 net 2001:db8::/32", layers.LinkTypeEthernet)
	if err != nil {
		b.Fatal(err)
	}
	vm, err := bpf.NewVM(f.insns)
	if err != nil {
		b.Fatal(err)
	}
	pkts := etherPackets()
	batch := [][]byte{pkts["tcp4"], pkts["udp4"], pkts["tcp6"], pkts["opts4"], pkts["arp"], pkts["vlan"]}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := batch[i%len(batch)]
		vm.Run(p)
	}
}

// BenchmarkCompile is the cost of a Set meeting a new link type.
func BenchmarkCompile(b *testing.B) {
	e, err := Parse("tcp port 443 or (udp and port 53) or ip6 net 2001:db8::/32")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := e.Filter(layers.LinkTypeLinuxSLL); err != nil {
			b.Fatal(err)
		}
	}
}
