package scs

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ParseFlavorName parses name as the SCS-0100 conformance test does: with
// the v3 syntax and, when that fails, with the deprecated v1 syntax (the
// result's Syntax says which; CheckFlavorName warns about v1). When both
// fail, the error is the v3 one.
func ParseFlavorName(name string) (FlavorName, error) {
	f, err := ParseSyntax(name, SyntaxV3)
	if err == nil {
		return f, nil
	}
	f1, err1 := ParseSyntax(name, SyntaxV1)
	if err1 == nil {
		return f1, nil
	}
	// A ":" suggests a v1 name: say why that reading fails too.
	if pe, ok := err.(*ParseError); ok && strings.Contains(name, ":") && strings.HasPrefix(name, "SCS-") {
		pe.Reason += fmt.Sprintf(" (read as a v1 name: %s)", err1)
	}
	return FlavorName{}, err
}

// ParseSyntax parses name in one syntax only. It mirrors the reference
// parser (Tests/iaas/scs_0100_flavor_naming/flavor_names.py): each part is
// tried once, left to right, and the whole name must be consumed.
func ParseSyntax(name string, syn Syntax) (FlavorName, error) {
	p := &parser{s: name, syn: syn, sep: '-', ext: '_'}
	if syn == SyntaxV1 {
		p.sep, p.ext = ':', '-'
	}
	f, err := p.parse()
	if err != nil {
		return FlavorName{}, err
	}
	return f, nil
}

type parser struct {
	s        string
	pos      int
	syn      Syntax
	sep, ext byte // "-" and "_" in v3; ":" and "-" in v1
}

func (p *parser) at(i int) byte {
	if i < len(p.s) {
		return p.s[i]
	}
	return 0
}

func (p *parser) peek() byte { return p.at(p.pos) }

// span consumes the longest run of bytes for which ok holds.
func (p *parser) span(ok func(byte) bool) string {
	start := p.pos
	for p.pos < len(p.s) && ok(p.s[p.pos]) {
		p.pos++
	}
	return p.s[start:p.pos]
}

func (p *parser) digits() string { return p.span(isDigit) }

func (p *parser) hs() string { return p.span(func(b byte) bool { return b == 'h' }) }

func (p *parser) lit(s string) bool {
	if strings.HasPrefix(p.s[p.pos:], s) {
		p.pos += len(s)
		return true
	}
	return false
}

func (p *parser) err(part string, pos int, format string, args ...any) error {
	return parseErr(p.s, part, pos, format, args...)
}

// found describes what stands at i, for error messages.
func (p *parser) found(i int) string {
	if i >= len(p.s) {
		return "the end of the name"
	}
	return strconv.Quote(p.s[i:])
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func (p *parser) parse() (FlavorName, error) {
	if !strings.HasPrefix(p.s, "SCS-") {
		if strings.HasPrefix(strings.ToUpper(p.s), "SCS-") {
			return FlavorName{}, p.err(PartPrefix, 0, `names are case-sensitive: the prefix is "SCS-"`)
		}
		return FlavorName{}, p.err(PartPrefix, 0, `an SCS flavor name starts with "SCS-"`)
	}
	p.pos = len("SCS-")
	f := FlavorName{Syntax: p.syn}
	if err := p.cpuRAM(&f); err != nil {
		return FlavorName{}, err
	}
	after := "RAM"
	steps := []struct {
		name string
		fn   func(*FlavorName) (bool, error)
	}{
		{"disk", p.disk},
		{"hypervisor", p.hypervisor},
		{"hwv", p.hwv},
		{"CPU architecture", p.cpuArch},
		{"GPU", p.gpu},
		{"ib", p.ib},
	}
	for _, st := range steps {
		ok, err := st.fn(&f)
		if err != nil {
			return FlavorName{}, err
		}
		if ok {
			after = st.name
		}
	}
	if p.pos != len(p.s) {
		return FlavorName{}, p.leftover(after, f)
	}
	return f, nil
}

// cpuRAM parses N L|V|T|C [i] SEP RAM [u] [o].
func (p *parser) cpuRAM(f *FlavorName) error {
	start := p.pos
	cpus := p.digits()
	t := p.peek()
	if !strings.ContainsRune("LVTC", rune(t)) || t == 0 {
		if t == 'i' && strings.ContainsRune("LVTC", rune(p.at(p.pos+1))) && p.at(p.pos+1) != 0 {
			return p.err(PartCPUType, p.pos, "the insecure flag i follows the CPU type (%s%ci, not %si%c)", cpus, p.at(p.pos+1), cpus, p.at(p.pos+1))
		}
		if cpus == "" {
			return p.err(PartCPUs, start, "expected the number of vCPUs, found %s", p.found(p.pos))
		}
		return p.err(PartCPUType, p.pos, "expected the CPU type L, V, T or C after the vCPU count, found %s", p.found(p.pos))
	}
	p.pos++
	// The reference regex is (i|)SEP: an "i" counts only if SEP follows.
	if p.peek() == 'i' && p.at(p.pos+1) == p.sep {
		f.Insecure = true
		p.pos++
	}
	if p.peek() != p.sep {
		return p.err(PartRAM, p.pos, "expected %q before the RAM size, found %s", p.sep, p.found(p.pos))
	}
	p.pos++
	ramPos := p.pos
	ram := p.span(func(b byte) bool { return isDigit(b) || b == '.' })
	f.RAMNoECC = p.lit("u")
	f.RAMOversubscribed = p.lit("o")
	n, err := positiveInt(cpus)
	if err != nil {
		return p.err(PartCPUs, start, "vCPU count %s", err)
	}
	f.CPUs, f.CPUType = n, string(t)
	if ram == "" {
		return p.err(PartRAM, ramPos, "expected the RAM size in GiB, found %s", p.found(ramPos))
	}
	v, err := strconv.ParseFloat(ram, 64)
	switch {
	case err != nil && math.IsInf(v, 0):
		return p.err(PartRAM, ramPos, "RAM %q GiB is too large", ram)
	case err != nil:
		return p.err(PartRAM, ramPos, "RAM %q is not a number", ram)
	case v <= 0 || math.Trunc(2*v) != 2*v:
		return p.err(PartRAM, ramPos, "RAM %q GiB: must be a positive multiple of 0.5", ram)
	}
	f.RAM = v
	return nil
}

// disk parses SEP [[M] x] [N] [n|h|s|p]; every piece is optional.
func (p *parser) disk(f *FlavorName) (bool, error) {
	if p.peek() != p.sep {
		return false, nil
	}
	start := p.pos
	p.pos++
	save := p.pos
	count, hasX := p.digits(), false
	if p.peek() == 'x' {
		p.pos++
		hasX = true
	} else {
		p.pos, count = save, ""
	}
	size := p.digits()
	d := &Disk{Count: 1}
	if t := p.peek(); t != 0 && strings.IndexByte("nhsp", t) >= 0 {
		d.Type = string(t)
		p.pos++
	}
	if hasX && count != "" {
		n, err := positiveInt(count)
		if err != nil {
			return false, p.err(PartDisk, start, "disk count %s", err)
		}
		d.Count = n
	}
	if size != "" {
		n, err := positiveInt(size)
		if err != nil {
			return false, p.err(PartDisk, start, "disk size %s GB", err)
		}
		d.SizeGB = n
	}
	f.Disk = d
	return true, nil
}

func (p *parser) hypervisor(f *FlavorName) (bool, error) {
	if p.peek() != p.ext {
		return false, nil
	}
	for _, h := range hypervisors {
		if h.code == "chy" && p.syn == SyntaxV1 {
			continue // Cloud Hypervisor came with v2
		}
		if p.lit(string(p.ext) + h.code) {
			f.Hypervisor = h.code
			return true, nil
		}
	}
	return false, nil
}

func (p *parser) hwv(f *FlavorName) (bool, error) {
	f.HWVirt = p.lit(string(p.ext) + "hwv")
	return f.HWVirt, nil
}

// cpuArch parses EXT VENDOR [GEN] [h|hh|hhh]; like the reference regex it
// must be followed by EXT or the end, so that "_ib" is not read as Intel.
func (p *parser) cpuArch(f *FlavorName) (bool, error) {
	start := p.pos
	v := p.at(p.pos + 1)
	if p.peek() != p.ext || v == 0 || strings.IndexByte("izar", v) < 0 {
		return false, nil
	}
	p.pos += 2
	gen, freq := p.digits(), p.hs()
	if p.pos != len(p.s) && p.peek() != p.ext {
		p.pos = start
		return false, nil
	}
	a := &CPUArch{Vendor: string(v), Freq: len(freq)}
	vendor, _ := cpuVendors.desc(a.Vendor)
	if gen != "" {
		n, err := strconv.Atoi(gen)
		gens := cpuGens[a.Vendor]
		if err != nil || n >= len(gens) {
			return false, p.err(PartCPUArch, start, "generation %s is not defined for %s (0 to %d)", gen, vendor, len(gens)-1)
		}
		a.Gen = n
	}
	if a.Freq > 3 {
		return false, p.err(PartCPUArch, start, "frequency suffix %q: at most hhh (>3.75 GHz)", freq)
	}
	f.CPU = a
	return true, nil
}

// gpu parses EXT G|g VENDOR GEN [SEP CU] [h|hh] [SEP VRAM] [h|hh]. GEN is
// everything up to SEP or "h", as in the reference regex.
func (p *parser) gpu(f *FlavorName) (bool, error) {
	start := p.pos
	t, v := p.at(p.pos+1), p.at(p.pos+2)
	if p.peek() != p.ext || (t != 'G' && t != 'g') || v == 0 || strings.IndexByte("NAI", v) < 0 {
		return false, nil
	}
	p.pos += 3
	g := &GPU{PassThrough: t == 'G', Vendor: string(v)}
	g.Gen = p.span(func(b byte) bool { return b != p.sep && b != 'h' })
	cu := p.number()
	cuPerf := p.hs()
	vram := p.number()
	vramPerf := p.hs()
	vendor, _ := gpuVendors.desc(g.Vendor)
	if _, ok := gpuGens[g.Vendor].desc(g.Gen); !ok && g.Gen != "" {
		if i := strings.IndexByte(g.Gen, p.ext); i >= 0 && i+1 < len(g.Gen) {
			return false, p.err(PartGPU, start, "generation %q is not defined for %s; a GPU part without a %q count takes in what follows, so %q cannot come after it",
				g.Gen, vendor, string(p.sep), g.Gen[i:])
		}
		return false, p.err(PartGPU, start, "generation %q is not defined for %s (%s)", g.Gen, vendor, gpuGens[g.Vendor].list())
	}
	var err error
	if g.CU, err = optPositiveInt(cu); err != nil {
		return false, p.err(PartGPU, start, "compute unit count %s", err)
	}
	if g.VRAM, err = optPositiveInt(vram); err != nil {
		return false, p.err(PartGPU, start, "VRAM %s GiB", err)
	}
	if len(cuPerf) > 2 || len(vramPerf) > 2 {
		return false, p.err(PartGPU, start, "performance suffix %q: at most hh", max(cuPerf, vramPerf))
	}
	g.CUPerf, g.VRAMPerf = len(cuPerf), len(vramPerf)
	f.GPU = g
	return true, nil
}

// number consumes SEP digits+, or nothing.
func (p *parser) number() string {
	if p.peek() != p.sep || !isDigit(p.at(p.pos+1)) {
		return ""
	}
	p.pos++
	return p.digits()
}

func (p *parser) ib(f *FlavorName) (bool, error) {
	f.IB = p.lit(string(p.ext) + "ib")
	return f.IB, nil
}

// leftover explains what is wrong with text no part took.
func (p *parser) leftover(after string, f FlavorName) error {
	rest := p.s[p.pos:]
	sep, ext := string(p.sep), string(p.ext)
	switch {
	case after == "RAM" && rest[0] == 'u' && f.RAMOversubscribed:
		return p.err(PartRAM, p.pos, "the RAM suffixes go in the order u, o (4uo, not 4ou)")
	case after == "disk" && rest[0] == '.':
		return p.err(PartDisk, p.pos, "the disk size must be a whole number of GB")
	case strings.HasPrefix(rest, sep) && after == "GPU":
		return p.err(PartGPU, p.pos, "unexpected %q after the GPU part; %s must be followed by a number (compute units, then VRAM)", rest, sep)
	case strings.HasPrefix(rest, sep) && after == "disk":
		return p.err(PartDisk, p.pos, "unexpected %q after the disk part; a name has one disk part, %s[Mx][N][n|h|s|p]", rest, sep)
	case !strings.HasPrefix(rest, ext):
		return p.err(PartExtensions, p.pos, "unexpected %q after the %s part", rest, after)
	}
	word := rest[1:]
	if i := strings.IndexByte(word, p.ext); i >= 0 {
		word = word[:i]
	}
	order := "extensions go in the order hypervisor, hwv, CPU, GPU, ib"
	_, isHyp := hypervisors.desc(word)
	switch {
	case isHyp && word == "chy" && p.syn == SyntaxV1:
		return p.err(PartHypervisor, p.pos, "chy (Cloud Hypervisor) does not exist in the v1 syntax")
	case isHyp || word == "hwv" || word == "ib":
		return p.err(PartExtensions, p.pos, "%q cannot follow the %s part: %s", ext+word, after, order)
	case word != "" && isDigit(word[0]):
		return p.err(PartCPUArch, p.pos, "%q: a CPU generation needs a vendor letter (i, z, a or r) before it", ext+word)
	case word != "" && strings.IndexByte("izar", word[0]) >= 0:
		if after == "GPU" || after == "ib" {
			return p.err(PartExtensions, p.pos, "%q cannot follow the %s part: %s", ext+word, after, order)
		}
		return p.err(PartCPUArch, p.pos, "%q: expected a vendor letter, a generation number and up to hhh, then %q or the end", ext+word, ext)
	case word != "" && (word[0] == 'G' || word[0] == 'g'):
		if len(word) < 2 || strings.IndexByte("NAI", word[1]) < 0 {
			return p.err(PartGPU, p.pos, "%q: the GPU vendor letter N, A or I must follow %c", ext+word, word[0])
		}
		return p.err(PartExtensions, p.pos, "%q cannot follow the %s part: %s", ext+word, after, order)
	}
	return p.err(PartExtensions, p.pos, "unknown extension %q after the %s part; %s", ext+word, after, order)
}

// positiveInt parses digits as an integer > 0.
func positiveInt(s string) (int, error) {
	if s == "" {
		return 0, fmt.Errorf("is missing")
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is too large", s)
	}
	if n <= 0 {
		return 0, fmt.Errorf("%q: must be a positive integer", s)
	}
	return n, nil
}

func optPositiveInt(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	return positiveInt(s)
}
