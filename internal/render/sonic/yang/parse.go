// Package yang checks SONiC ConfigDB JSON against the community SONiC YANG
// models: it reads the .yang files far enough to know each table's lists,
// keys and leaf types, converts a config_db.json into RFC 7951 YANG-JSON,
// and runs libyang's yanglint on the result.
//
// It is not a YANG compiler. It reads what the conversion needs (containers,
// lists, keys, leaves, groupings, typedefs, unions, leafref targets) and
// leaves every constraint (patterns, ranges, must, leafref existence) to
// yanglint, which is the authority.
package yang

import (
	"fmt"
	"strings"
)

// Stmt is one YANG statement: keyword, optional argument, substatements.
type Stmt struct {
	Keyword string
	Arg     string
	Sub     []*Stmt
	Line    int
}

// Find returns the first substatement with the keyword, or nil.
func (s *Stmt) Find(keyword string) *Stmt {
	for _, c := range s.Sub {
		if c.Keyword == keyword {
			return c
		}
	}
	return nil
}

// Parse reads one YANG module or submodule. It follows RFC 7950 section 6
// for tokens: comments, quoted strings with '+' concatenation, unquoted
// arguments ending at whitespace, ';', '{' or '}'.
func Parse(src []byte) (*Stmt, error) {
	p := &parser{src: src, line: 1}
	stmts, err := p.block(0)
	if err != nil {
		return nil, err
	}
	if len(stmts) != 1 {
		return nil, fmt.Errorf("want one top-level statement (module), got %d", len(stmts))
	}
	return stmts[0], nil
}

type parser struct {
	src  []byte
	pos  int
	line int
}

func (p *parser) errorf(format string, a ...any) error {
	return fmt.Errorf("line %d: %s", p.line, fmt.Sprintf(format, a...))
}

// block parses statements until '}' (depth > 0) or the end of input.
func (p *parser) block(depth int) ([]*Stmt, error) {
	if depth > 64 {
		return nil, p.errorf("statements nested deeper than 64")
	}
	var out []*Stmt
	for {
		if err := p.skipSpace(); err != nil {
			return nil, err
		}
		if p.pos >= len(p.src) {
			if depth > 0 {
				return nil, p.errorf("missing '}'")
			}
			return out, nil
		}
		if p.src[p.pos] == '}' {
			if depth == 0 {
				return nil, p.errorf("unexpected '}'")
			}
			p.pos++
			return out, nil
		}
		s, err := p.statement(depth)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
}

func (p *parser) statement(depth int) (*Stmt, error) {
	s := &Stmt{Line: p.line}
	kw, quoted, err := p.token()
	if err != nil {
		return nil, err
	}
	if quoted || kw == "" {
		return nil, p.errorf("expected a keyword, got %q", kw)
	}
	s.Keyword = kw
	if err := p.skipSpace(); err != nil {
		return nil, err
	}
	if p.pos < len(p.src) && p.src[p.pos] != ';' && p.src[p.pos] != '{' {
		if s.Arg, err = p.argument(); err != nil {
			return nil, err
		}
		if err := p.skipSpace(); err != nil {
			return nil, err
		}
	}
	if p.pos >= len(p.src) {
		return nil, p.errorf("statement %q: missing ';' or '{'", kw)
	}
	switch p.src[p.pos] {
	case ';':
		p.pos++
	case '{':
		p.pos++
		if s.Sub, err = p.block(depth + 1); err != nil {
			return nil, err
		}
	default:
		return nil, p.errorf("statement %q: expected ';' or '{', got %q", kw, p.src[p.pos])
	}
	return s, nil
}

// argument reads an unquoted string or quoted strings joined with '+'.
func (p *parser) argument() (string, error) {
	tok, quoted, err := p.token()
	if err != nil || !quoted {
		return tok, err
	}
	var b strings.Builder
	b.WriteString(tok)
	for {
		save, saveLine := p.pos, p.line
		if err := p.skipSpace(); err != nil {
			return "", err
		}
		if p.pos >= len(p.src) || p.src[p.pos] != '+' {
			p.pos, p.line = save, saveLine
			return b.String(), nil
		}
		p.pos++
		if err := p.skipSpace(); err != nil {
			return "", err
		}
		next, quoted, err := p.token()
		if err != nil {
			return "", err
		}
		if !quoted {
			return "", p.errorf("'+' must be followed by a quoted string")
		}
		b.WriteString(next)
	}
}

// token reads one unquoted or quoted string at the current position.
func (p *parser) token() (string, bool, error) {
	if p.pos >= len(p.src) {
		return "", false, p.errorf("unexpected end of input")
	}
	switch q := p.src[p.pos]; q {
	case '"', '\'':
		return p.quoted(q)
	}
	start := p.pos
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if isSpace(c) || c == ';' || c == '{' || c == '}' || c == '"' || c == '\'' {
			break
		}
		if c == '/' && p.pos+1 < len(p.src) && (p.src[p.pos+1] == '/' || p.src[p.pos+1] == '*') {
			break
		}
		p.pos++
	}
	if p.pos == start {
		return "", false, p.errorf("unexpected %q", p.src[p.pos])
	}
	return string(p.src[start:p.pos]), false, nil
}

func (p *parser) quoted(q byte) (string, bool, error) {
	startLine := p.line
	p.pos++
	var b strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == q:
			p.pos++
			return b.String(), true, nil
		case c == '\\' && q == '"' && p.pos+1 < len(p.src):
			p.pos++
			switch e := p.src[p.pos]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default: // \" and \\ (and, leniently, anything else)
				b.WriteByte(e)
			}
		default:
			if c == '\n' {
				p.line++
			}
			b.WriteByte(c)
		}
		p.pos++
	}
	return "", false, fmt.Errorf("line %d: unterminated string", startLine)
}

// skipSpace skips whitespace and comments.
func (p *parser) skipSpace() error {
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == '\n':
			p.line++
			p.pos++
		case isSpace(c):
			p.pos++
		case c == '/' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '/':
			for p.pos < len(p.src) && p.src[p.pos] != '\n' {
				p.pos++
			}
		case c == '/' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '*':
			startLine := p.line
			end := strings.Index(string(p.src[p.pos+2:]), "*/")
			if end < 0 {
				return fmt.Errorf("line %d: unterminated comment", startLine)
			}
			p.line += strings.Count(string(p.src[p.pos:p.pos+2+end]), "\n")
			p.pos += 2 + end + 2
		default:
			return nil
		}
	}
	return nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
