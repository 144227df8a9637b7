package scs

import "fmt"

// The parts of a flavor name, as ParseError.Part names them.
const (
	PartPrefix     = "prefix"
	PartCPUs       = "vCPUs"
	PartCPUType    = "CPU type"
	PartRAM        = "RAM"
	PartDisk       = "disk"
	PartHypervisor = "hypervisor"
	PartCPUArch    = "CPU architecture"
	PartGPU        = "GPU"
	PartExtensions = "extensions"
)

// ParseError says which part of a flavor name is wrong and why.
type ParseError struct {
	Name   string // the whole name
	Part   string // one of the Part* constants
	Pos    int    // byte offset in Name where the part starts
	Reason string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s: %s", e.Part, e.Reason)
}

func parseErr(name, part string, pos int, format string, args ...any) *ParseError {
	return &ParseError{Name: name, Part: part, Pos: pos, Reason: fmt.Sprintf(format, args...)}
}
