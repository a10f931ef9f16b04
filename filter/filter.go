package filter

import (
	"fmt"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
)

// DefaultSnaplen is what a compiled program returns for an accepted packet,
// the same as tcpdump's default snapshot length.
const DefaultSnaplen = 262144

// Expr is a parsed filter expression, independent of link type. Parse once
// and compile for each link type a capture delivers.
type Expr struct {
	src  string
	root node // nil: match everything
}

// Parse checks the syntax of expr. Errors are *SyntaxError.
func Parse(expr string) (*Expr, error) {
	root, err := parse(expr)
	if err != nil {
		return nil, err
	}
	return &Expr{src: expr, root: root}, nil
}

// String returns the expression as written.
func (e *Expr) String() string { return e.src }

// Compile returns the classic BPF program for packets of linkType; accepted
// packets return snaplen. It fails for an unsupported link type or a
// primitive that makes no sense on it (such as "vlan" on Linux SLL).
func (e *Expr) Compile(linkType layers.LinkType, snaplen int) ([]bpf.Instruction, error) {
	return codegen(e.src, e.root, linkType, snaplen)
}

// Filter compiles the expression for linkType into a Filter.
func (e *Expr) Filter(linkType layers.LinkType) (*Filter, error) {
	insns, err := e.Compile(linkType, DefaultSnaplen)
	if err != nil {
		return nil, err
	}
	raw, err := bpf.Assemble(insns)
	if err != nil {
		return nil, fmt.Errorf("filter: assemble %q: %w", e.src, err)
	}
	if err := validate(raw); err != nil {
		return nil, fmt.Errorf("filter: %q: %w", e.src, err)
	}
	return &Filter{expr: e.src, linkType: linkType, insns: insns, raw: raw, all: e.root == nil}, nil
}

// Compile parses expr and returns a program for packets of the given link
// type; accepted packets return snaplen (use DefaultSnaplen).
func Compile(expr string, linkType layers.LinkType, snaplen int) ([]bpf.Instruction, error) {
	e, err := Parse(expr)
	if err != nil {
		return nil, err
	}
	return e.Compile(linkType, snaplen)
}

// Filter is a program compiled for one link type. Match is safe for
// concurrent use: it keeps no state between packets.
type Filter struct {
	expr     string
	linkType layers.LinkType
	insns    []bpf.Instruction
	raw      []bpf.RawInstruction
	all      bool
}

// New compiles expr for packets of linkType. An empty expression matches
// everything.
func New(expr string, linkType layers.LinkType) (*Filter, error) {
	e, err := Parse(expr)
	if err != nil {
		return nil, err
	}
	return e.Filter(linkType)
}

// Match reports whether the packet passes. data is the captured bytes (maybe
// cut at the snap length), wireLen its original length, which "greater" and
// "less" test. It does not allocate.
func (f *Filter) Match(data []byte, wireLen int) bool {
	if f.all {
		return true
	}
	if wireLen < len(data) {
		wireLen = len(data)
	}
	wl := uint32(0xffffffff)
	if uint64(wireLen) < uint64(wl) {
		wl = uint32(wireLen)
	}
	return run(f.raw, data, wl) != 0
}

// Raw returns the assembled program, for SetBPF on a live socket. The slice
// is a copy.
//
// On a live Linux AF_PACKET socket the kernel removes 802.1Q tags before the
// filter runs, so programs using "vlan" do not match there as they do on
// capture files.
func (f *Filter) Raw() ([]bpf.RawInstruction, error) {
	return append([]bpf.RawInstruction(nil), f.raw...), nil
}

// Instructions returns the program (a copy) in x/net/bpf form.
func (f *Filter) Instructions() []bpf.Instruction {
	return append([]bpf.Instruction(nil), f.insns...)
}

// LinkType is the link type the filter was compiled for.
func (f *Filter) LinkType() layers.LinkType { return f.linkType }

// String returns the expression.
func (f *Filter) String() string { return f.expr }

// Set holds one expression and compiles it lazily for each link type it is
// asked about, for readers (pcapng) whose packets come on several link
// types. It is not safe for concurrent use; give each worker its own.
type Set struct {
	expr    *Expr
	entries []setEntry
}

type setEntry struct {
	linkType layers.LinkType
	filter   *Filter
	err      error
}

// NewSet parses expr; compilation for each link type waits for its first use.
func NewSet(expr string) (*Set, error) {
	e, err := Parse(expr)
	if err != nil {
		return nil, err
	}
	return &Set{expr: e}, nil
}

// For returns the filter for linkType, compiling it on first use. A failure
// is remembered and returned again without recompiling.
func (s *Set) For(linkType layers.LinkType) (*Filter, error) {
	for i := range s.entries {
		if s.entries[i].linkType == linkType {
			return s.entries[i].filter, s.entries[i].err
		}
	}
	f, err := s.expr.Filter(linkType)
	s.entries = append(s.entries, setEntry{linkType: linkType, filter: f, err: err})
	return f, err
}

// Match runs the filter for linkType; it returns the compile error for a link
// type the expression cannot be compiled for.
func (s *Set) Match(linkType layers.LinkType, data []byte, wireLen int) (bool, error) {
	f, err := s.For(linkType)
	if err != nil {
		return false, err
	}
	return f.Match(data, wireLen), nil
}
