package health

import "strings"

// Sections splits output made of "== name" header lines into the text
// under each header. Text before the first header is dropped. The
// components' health scripts print each command's output under a
// header, and "== end" last: an answer cut short lacks it.
func Sections(s string) map[string]string {
	out := map[string]string{}
	name := ""
	var b strings.Builder
	flush := func() {
		if name != "" {
			out[name] = b.String()
		}
		b.Reset()
	}
	for _, line := range strings.Split(s, "\n") {
		if h, ok := strings.CutPrefix(line, "== "); ok {
			flush()
			name = strings.TrimSpace(h)
			continue
		}
		if name != "" {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	flush()
	return out
}
