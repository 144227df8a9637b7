package model

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"reflect"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/fundament-cloud/fundament/internal/diag"
)

// Rule ids of problems with the repository's files as files.
const (
	RuleMissingFile        = "load.missing-file"
	RuleReadError          = "load.read-error"
	RuleTooLarge           = "load.too-large"
	RuleEmptyFile          = "load.empty-file"
	RuleIgnoredFile        = "load.ignored-file"
	RuleMultiDoc           = "load.multiple-documents"
	RuleDuplicateComponent = "load.duplicate-component"
)

// MaxFileSize bounds one file of the repository. The 5,000-host benchmark
// repository is 3.5 MB in 98 files; yaml.v3 needs about 100 bytes of memory
// per byte of input, so a far larger file is a mistake, not a cloud.
const MaxFileSize = 16 << 20

// Files of the configuration repository.
const (
	CloudFile    = "cloud.yaml"
	NetworkFile  = "network.yaml"
	InventoryDir = "inventory"
	ServicesDir  = "services"
)

// Cloud is the whole configuration repository, loaded.
type Cloud struct {
	Spec      CloudSpec
	Inventory []*InventoryFile
	// Hosts of all inventory files, in file order.
	Hosts    []*Host
	Network  NetworkSpec
	Services ServicesSpec
	// ServiceFiles maps each component key of services/ to the file that
	// configured it.
	ServiceFiles map[string]string
}

// Load reads the configuration repository in dir, never outside it (see
// OpenRepo). It returns the model (as complete as the files allow) and
// every problem found while reading; it does not run semantic checks
// (package validate does).
func Load(dir string) (*Cloud, *diag.List) {
	root, err := os.OpenRoot(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// Every file is missing, and reported so.
		return LoadFS(emptyFS{})
	case err != nil:
		d := &diag.List{}
		d.Errorf(diag.Pos{File: "."}, RuleReadError, "cannot open the repository: %s", CleanFSError(err))
		c := &Cloud{ServiceFiles: map[string]string{}}
		applyDefaults(c)
		return c, d
	}
	defer root.Close()
	return LoadFS(root.FS())
}

// emptyFS is a file system without files.
type emptyFS struct{}

func (emptyFS) Open(name string) (fs.File, error) {
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

// LoadFS is Load over a file system, for tests and fuzzing. It reads
// several files at once, so fsys must allow concurrent use (os.Root's FS,
// os.DirFS and fstest.MapFS do).
func LoadFS(fsys fs.FS) (*Cloud, *diag.List) {
	l := &loader{fsys: fsys, diags: &diag.List{}, budget: maxAliasNodes}
	c := &Cloud{ServiceFiles: map[string]string{}}

	files := []string{CloudFile, NetworkFile}
	inventory := l.yamlFiles(InventoryDir)
	files = append(files, inventory...)
	files = append(files, l.yamlFiles(ServicesDir)...)
	l.parseAll(files, func(i int, f string, n *yaml.Node) {
		switch {
		case f == CloudFile:
			l.decode(f, n, &c.Spec)
		case f == NetworkFile:
			l.decode(f, n, &c.Network)
		case i < 2+len(inventory):
			inv := &InventoryFile{}
			if !l.decode(f, n, inv) {
				return
			}
			for _, h := range inv.Hosts {
				h.File = f
				c.Hosts = append(c.Hosts, h)
			}
			c.Inventory = append(c.Inventory, inv)
		default:
			var part ServicesSpec
			if l.decode(f, n, &part) {
				mergeServices(c, &part, f, l.diags)
			}
		}
	})
	applyDefaults(c)
	return c, l.diags
}

// mergeServices moves the components that part configures into c,
// rejecting a component configured in two files.
func mergeServices(c *Cloud, part *ServicesSpec, file string, diags *diag.List) {
	dst := reflect.ValueOf(&c.Services).Elem()
	src := reflect.ValueOf(part).Elem()
	info := structInfoOf(src.Type())
	for _, f := range info.ordered {
		if !part.Meta.Has(f.name) {
			continue
		}
		if prev, ok := c.ServiceFiles[f.name]; ok {
			diags.Errorf(part.Meta.At(f.name), RuleDuplicateComponent,
				"%s is already configured in %s; configure each component in one file", f.name, prev)
			continue
		}
		c.ServiceFiles[f.name] = file
		dst.FieldByIndex(f.index).Set(src.FieldByIndex(f.index))
		c.Services.Meta.set(f.name, part.Meta.At(f.name))
	}
}

type loader struct {
	fsys  fs.FS
	diags *diag.List
	// budget of alias expansion, shared by all files (see maxAliasNodes).
	budget int
}

// parseAll parses files (the first two, cloud.yaml and network.yaml, are
// required) and calls decode with the root node of each, in order. Parsing
// is most of the time a load takes and files are independent, so several
// are parsed at once, a few files ahead of decoding, which stays in order
// so that the diagnostics and the alias budget do not depend on timing.
func (l *loader) parseAll(files []string, decode func(i int, file string, n *yaml.Node)) {
	type parsed struct {
		root  *yaml.Node
		diags diag.List
	}
	results := make([]chan *parsed, len(files))
	for i := range results {
		results[i] = make(chan *parsed, 1)
	}
	ahead := make(chan struct{}, min(max(runtime.GOMAXPROCS(0), 1), 8))
	go func() {
		for i, f := range files {
			ahead <- struct{}{}
			go func() {
				p := &parsed{}
				p.root = l.parse(f, i < 2, &p.diags)
				results[i] <- p
			}()
		}
	}()
	for i, f := range files {
		p := <-results[i]
		l.diags.Append(&p.diags)
		if p.root != nil {
			decode(i, f, p.root)
		}
		<-ahead
	}
}

// decode decodes the root node of file into *ptr. When the file proved too
// complex, it leaves *ptr zero and returns false: a half-expanded alias
// bomb would only bury the diagnostic under consequences.
func (l *loader) decode(file string, n *yaml.Node, ptr any) bool {
	v := reflect.ValueOf(ptr).Elem()
	d := newDecoder(file, l.diags, &l.budget)
	d.value(n, v, nil, "")
	if d.exhausted {
		v.SetZero()
		return false
	}
	return true
}

// yamlFiles lists the YAML files below dir, sorted, and reports the other
// files there (they are ignored, which an operator should know).
func (l *loader) yamlFiles(dir string) []string {
	var files []string
	err := fs.WalkDir(l.fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == dir {
				return fs.SkipAll
			}
			l.diags.Errorf(diag.Pos{File: p}, RuleReadError, "cannot read: %s", CleanFSError(err))
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		name := d.Name()
		if p == dir && !d.IsDir() {
			l.diags.Errorf(diag.Pos{File: p}, RuleReadError, "is a file; %s/ must be a directory of *.yaml files", dir)
			return nil
		}
		if d.IsDir() {
			if p != dir && strings.HasPrefix(name, ".") {
				return fs.SkipDir
			}
			return nil
		}
		if strings.HasPrefix(name, ".") {
			return nil
		}
		if ext := path.Ext(name); ext != ".yaml" && ext != ".yml" {
			if d.Type()&fs.ModeSymlink != 0 {
				if st, err := fs.Stat(l.fsys, p); err == nil && st.IsDir() {
					l.diags.Warnf(diag.Pos{File: p}, RuleIgnoredFile, "ignored: a symbolic link to a directory; links to directories are not followed")
					return nil
				}
			}
			l.diags.Warnf(diag.Pos{File: p}, RuleIgnoredFile, "ignored: only *.yaml and *.yml files are read in %s/", dir)
			return nil
		}
		files = append(files, p)
		return nil
	})
	if err != nil {
		l.diags.Errorf(diag.Pos{File: dir}, RuleReadError, "cannot read: %s", CleanFSError(err))
	}
	sort.Strings(files)
	return files
}

// parse reads one file and returns its document's root node, or nil
// (with a diagnostic where that is a problem).
func (l *loader) parse(name string, required bool, diags *diag.List) *yaml.Node {
	// Stat before opening: opening a FIFO blocks until a writer comes,
	// and a device or a huge file need not be read to be rejected.
	st, err := fs.Stat(l.fsys, name)
	if err != nil {
		switch {
		case errors.Is(err, fs.ErrNotExist) && required:
			diags.Errorf(diag.Pos{File: name}, RuleMissingFile, "missing: every configuration repository has a %s (see `fundament init`)", name)
		case errors.Is(err, fs.ErrNotExist):
			// Listed by yamlFiles, so the name exists: a dangling link.
			diags.Errorf(diag.Pos{File: name}, RuleReadError, "cannot read: it does not exist (a broken symbolic link?)")
		case errors.Is(err, syscall.ELOOP):
			diags.Errorf(diag.Pos{File: name}, RuleReadError, "cannot read: %s (a loop of symbolic links)", CleanFSError(err))
		default:
			diags.Errorf(diag.Pos{File: name}, RuleReadError, "cannot read: %s", CleanFSError(err))
		}
		return nil
	}
	switch {
	case st.IsDir():
		diags.Errorf(diag.Pos{File: name}, RuleReadError, "is a directory, expected a YAML file")
		return nil
	case !st.Mode().IsRegular():
		diags.Errorf(diag.Pos{File: name}, RuleReadError, "is not a regular file (a device, pipe or socket), expected a YAML file")
		return nil
	case st.Size() > MaxFileSize:
		tooLarge(name, diags)
		return nil
	}
	f, err := l.fsys.Open(name)
	if err != nil {
		diags.Errorf(diag.Pos{File: name}, RuleReadError, "cannot read: %s", CleanFSError(err))
		return nil
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		diags.Errorf(diag.Pos{File: name}, RuleReadError, "cannot read: %s", CleanFSError(err))
		return nil
	}
	if len(data) > MaxFileSize {
		tooLarge(name, diags)
		return nil
	}
	return parseYAML(name, data, required, diags)
}

func tooLarge(name string, diags *diag.List) {
	diags.Errorf(diag.Pos{File: name}, RuleTooLarge, "file is larger than %d MiB; split it (inventory/ may hold many files)", MaxFileSize>>20)
}

var (
	yamlLineRE      = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	unknownAnchorRE = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)
)

func parseYAML(name string, data []byte, required bool, diags *diag.List) (root *yaml.Node) {
	if !checkText(name, data, diags) {
		return nil
	}
	// yaml.v3 reports its errors as values, but a parser bug must not take
	// the whole run down with it.
	defer func() {
		if r := recover(); r != nil {
			diags.Errorf(diag.Pos{File: name}, RuleYAMLSyntax, "invalid YAML: the YAML parser failed: %v", r)
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	err := dec.Decode(&doc)
	if errors.Is(err, io.EOF) || (err == nil && len(doc.Content) == 0) {
		if required {
			diags.Errorf(diag.Pos{File: name}, RuleEmptyFile, "file is empty")
		} else {
			diags.Warnf(diag.Pos{File: name}, RuleEmptyFile, "file is empty")
		}
		return nil
	}
	if err != nil {
		reportYAMLError(name, data, err, diags)
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		diags.Errorf(diag.Pos{File: name, Line: extra.Line, Column: extra.Column}, RuleMultiDoc,
			"a second YAML document (after ---); put one document in each file")
	} else if !errors.Is(err, io.EOF) {
		reportYAMLError(name, data, err, diags)
	}
	root = doc.Content[0]
	if isNull(root) {
		if required {
			diags.Errorf(diag.Pos{File: name}, RuleEmptyFile, "file has no content")
		} else {
			diags.Warnf(diag.Pos{File: name}, RuleEmptyFile, "file has no content")
		}
		return nil
	}
	return root
}

// checkText rejects what is not YAML text, with the position of the first
// offending byte: yaml.v3 reports these without one.
func checkText(name string, data []byte, diags *diag.List) bool {
	if i := bytes.IndexByte(data, 0); i >= 0 {
		msg := "not a YAML file: it contains NUL bytes"
		if bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) {
			msg = "not a YAML file: it is UTF-16 encoded; save it as UTF-8"
			i = 0
		}
		diags.Errorf(offsetPos(name, data, i), RuleYAMLSyntax, "%s", msg)
		return false
	}
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			diags.Errorf(offsetPos(name, data, i), RuleYAMLSyntax, "invalid YAML: byte 0x%02x is not UTF-8; save the file as UTF-8", data[i])
			return false
		case !yamlPrintable(r):
			diags.Errorf(offsetPos(name, data, i), RuleYAMLSyntax, "invalid YAML: control character %U is not allowed in YAML", r)
			return false
		}
		i += size
	}
	return true
}

// yamlPrintable is YAML 1.2's c-printable, as yaml.v3 enforces it (the
// byte order mark U+FEFF is allowed).
func yamlPrintable(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return true
	case r >= 0x20 && r <= 0x7e, r == 0x85:
		return true
	case r >= 0xa0 && r <= 0xd7ff, r >= 0xe000 && r <= 0xfffd:
		return true
	case r >= 0x10000 && r <= 0x10ffff:
		return true
	}
	return false
}

// offsetPos turns a byte offset into a 1-based line and column (counted in
// characters).
func offsetPos(name string, data []byte, off int) diag.Pos {
	line := 1 + bytes.Count(data[:off], []byte{'\n'})
	start := bytes.LastIndexByte(data[:off], '\n') + 1
	return diag.Pos{File: name, Line: line, Column: 1 + utf8.RuneCount(data[start:off])}
}

func reportYAMLError(name string, data []byte, err error, diags *diag.List) {
	msg := err.Error()
	pos := diag.Pos{File: name}
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		pos.Line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	if m := unknownAnchorRE.FindStringSubmatch(msg); m != nil && pos.Line == 0 {
		// yaml.v3 gives no line for this one; the first use is the one.
		if i := bytes.Index(data, []byte("*"+m[1])); i >= 0 {
			pos = offsetPos(name, data, i)
		}
	}
	if strings.Contains(msg, "tab") || strings.Contains(msg, "cannot start any token") {
		// yaml.v3 often names the line where the enclosing block began;
		// point at the tab itself.
		if line, col := tabIndent(data, max(pos.Line, 1)); line > 0 {
			diags.Errorf(diag.Pos{File: name, Line: line, Column: col}, RuleYAMLSyntax,
				"invalid YAML: a tab character in the indentation; YAML is indented with spaces, not tabs")
			return
		}
	}
	diags.Errorf(pos, RuleYAMLSyntax, "invalid YAML: %s", msg)
}

// tabIndent finds the first line from line `from` on whose indentation
// holds a tab, and the column of that tab; 0, 0 when there is none.
func tabIndent(data []byte, from int) (line, col int) {
	for n, text := range bytes.Split(data, []byte{'\n'}) {
		if n+1 < from {
			continue
		}
		indent := len(text) - len(bytes.TrimLeft(text, " \t"))
		if i := bytes.IndexByte(text[:indent], '\t'); i >= 0 {
			return n + 1, i + 1
		}
	}
	return 0, 0
}
