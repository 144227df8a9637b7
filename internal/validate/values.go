package validate

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Values with a textual form of their own, checked under invalid-value
// (checkInvalidValues calls checkValueForms).

func checkValueForms(ck *checker) {
	if g := &ck.c.Services.Galera; g.Has("buffer_pool_size") {
		if hint, ok := mariaDBSize(g.BufferPoolSize); !ok {
			ck.d.Errorf(g.At("buffer_pool_size"), RuleInvalidValue,
				"buffer_pool_size %q is not a size MariaDB accepts: write a whole number of bytes with an optional K, M, G or T suffix, such as 4G or 512M%s",
				g.BufferPoolSize, hint)
		}
	}
}

// mariaDBSizeRE is the form MariaDB accepts for sizes in its options: a
// whole number with an optional K, M, G or T suffix (either case), 1024
// based.
var mariaDBSizeRE = regexp.MustCompile(`^[0-9]+[KMGTkmgt]?$`)

// looseSizeRE is what people write instead: "16GB", "16 GiB", "1.5G".
var looseSizeRE = regexp.MustCompile(`^([0-9]+)(?:\.([0-9]+))?\s*([KMGTkmgt])(?:i?[Bb])?$`)

// mariaDBSize reports whether s is a size MariaDB accepts, and when it is
// not but the meaning is clear, a hint with the right spelling.
func mariaDBSize(s string) (hint string, ok bool) {
	if mariaDBSizeRE.MatchString(s) {
		return "", true
	}
	m := looseSizeRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return "", false
	}
	whole, frac, unit := m[1], m[2], strings.ToUpper(m[3])
	if frac == "" {
		return fmt.Sprintf("; did you mean %s%s?", whole, unit), false
	}
	// A fraction: say it in the next smaller unit, where it may be whole.
	smaller := map[string]string{"K": "", "M": "K", "G": "M", "T": "G"}[unit]
	f, err := strconv.ParseFloat(whole+"."+frac, 64)
	if err != nil || f*1024 != float64(int64(f*1024)) {
		return "; MariaDB takes whole numbers only", false
	}
	return fmt.Sprintf("; MariaDB takes whole numbers only: did you mean %d%s?", int64(f*1024), smaller), false
}
