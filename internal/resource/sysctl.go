package resource

import (
	"fmt"
	"strings"
)

// Sysctl is one kernel setting of a sysctl.d file.
type Sysctl struct{ Key, Value string }

// SysctlConf is a sysctl.d file: the header comment (why these settings),
// then one "key = value" a line.
func SysctlConf(header string, settings []Sysctl) string {
	var b strings.Builder
	b.WriteString("# " + header + "\n")
	for _, s := range settings {
		fmt.Fprintf(&b, "%s = %s\n", s.Key, s.Value)
	}
	return b.String()
}

// SysctlApply is the command that applies the file at path now
// (systemd-sysctl does at boot); its guard holds while the kernel has
// every setting, so a value changed behind Fundament's back is put back.
func SysctlApply(name, path string, settings []Sysctl) Command {
	guard := make([]string, len(settings))
	for i, s := range settings {
		guard[i] = fmt.Sprintf(`[ "$(sysctl -n %s)" = %s ]`, s.Key, s.Value)
	}
	return Command{Name: name, Script: "sysctl -q -p " + path + "\n", Guard: strings.Join(guard, " && "), Idempotent: true}
}
