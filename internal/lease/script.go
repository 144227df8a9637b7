package lease

import (
	"fmt"
	"strings"
)

// The operations of the lease script.
const (
	opTake    = "take"    // take or keep the lease (stdin: the holder's record)
	opRenew   = "renew"   // take, but only a lease that is ours or free
	opRelease = "release" // remove the lease if it is ours
	opRead    = "read"    // print the lease
)

// script is the host side of an operation. It prints "now=<host time>"
// and then sections "== <word>", each followed by a lease record where
// one belongs:
//
//	== held      another run's live lease (printed), nothing changed
//	== lost      (renew) another run's lease (printed), nothing changed
//	== replaced  another run's lease (printed) was expired, or expect, and is replaced
//	== recreated (renew) the lease was gone and is taken again
//	== taken     the lease is ours, until now + ttl
//	== released  our lease is removed
//	== lease     (read) the lease (printed)
//
// expect is the run of a lease the manager found dead (its process is
// gone): it is replaced even before it expires, unless another run took
// the lease meanwhile.
func script(op, dir, run, expect string, ttlSeconds int64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "d=%s; f=\"$d/%s\"; run=%s; expect=%s; ttl=%d\n", quote(dir), File, quote(run), quote(expect), ttlSeconds)
	if op == opRead {
		b.WriteString(`echo "now=$(date +%s)"
[ -f "$f" ] || exit 0
echo "== lease"
cat "$f"
`)
		return b.String()
	}
	if op != opRelease {
		// The record first: the script may end before it would read it.
		b.WriteString("new=$(cat)\n")
	}
	b.WriteString(`umask 077
[ -d "$d" ] || mkdir -p "$d" || exit 70
chmod 0700 "$d" 2>/dev/null
exec 8>>"$d/` + File + `.lock" || exit 70
if command -v flock >/dev/null 2>&1 && ! flock -w 30 8; then
	echo "fundament: $d/` + File + `.lock is still locked after 30 s" >&2
	exit 75
fi
now=$(date +%s)
echo "now=$now"
cur= exp=
if [ -f "$f" ]; then
	cur=$(sed -n 's/^run=//p' "$f" | head -n 1)
	exp=$(sed -n 's/^expires=//p' "$f" | head -n 1)
fi
case $exp in '' | *[!0-9]*) exp=0 ;; esac
`)
	if op == opRelease {
		b.WriteString(`if [ -n "$cur" ] && [ "$cur" = "$run" ]; then
	rm -f "$f" || exit 70
	echo "== released"
fi
`)
		return b.String()
	}
	fmt.Fprintf(&b, "op=%s\n", op)
	b.WriteString(`since=$now
if [ -n "$cur" ] && [ "$cur" != "$run" ]; then
	if [ "$op" = renew ]; then
		echo "== lost"
		cat "$f"
		exit 0
	fi
	if [ "$exp" -gt "$now" ] && [ "$cur" != "$expect" ]; then
		echo "== held"
		cat "$f"
		exit 0
	fi
	echo "== replaced"
	cat "$f"
elif [ -n "$cur" ]; then
	s=$(sed -n 's/^since=//p' "$f" | head -n 1)
	case $s in '' | *[!0-9]*) ;; *) since=$s ;; esac
elif [ "$op" = renew ]; then
	echo "== recreated"
fi
printf '%s\nsince=%s\nexpires=%s\n' "$new" "$since" "$((now + ttl))" >"$f.new" && mv -f "$f.new" "$f" || exit 70
echo "== taken"
`)
	return b.String()
}

// fence is put before every script a run sends to a host: it refuses to
// run the script once the host's lease belongs to another run (this run's
// lease expired and was taken over). A host without a lease file runs it:
// the lease is taken before the first script (Set.Wrap), and a reboot
// clears /run, and every orphan with it.
func fence(dir, run string) string {
	f := quote(dir + "/" + File)
	return `if [ -f ` + f + ` ] && ! grep -qxF ` + quote("run="+run) + ` ` + f + `; then
	echo "fundament: this host's apply lease now belongs to run $(sed -n 's/^run=//p' ` + f + ` | head -n 1); run ` + run + ` lost it and does nothing more here" >&2
	exit 75
fi
`
}

// quote quotes s as one word for a POSIX shell.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// parsed is a script's output.
type parsed struct {
	now      int64
	sections map[string]string // section word -> the record after it
}

func parse(out string) parsed {
	p := parsed{sections: map[string]string{}}
	cur := ""
	var body strings.Builder
	flush := func() {
		if cur != "" {
			p.sections[cur] = body.String()
		}
		body.Reset()
	}
	for _, line := range strings.Split(out, "\n") {
		if w, ok := strings.CutPrefix(line, "== "); ok {
			flush()
			cur = strings.TrimSpace(w)
			continue
		}
		if v, ok := strings.CutPrefix(line, "now="); ok && cur == "" {
			fmt.Sscan(v, &p.now)
			continue
		}
		body.WriteString(line + "\n")
	}
	flush()
	return p
}
