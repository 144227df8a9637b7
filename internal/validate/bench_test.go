package validate

import (
	"bytes"
	"os"
	"strconv"
	"testing"

	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/synth"
)

// The benchmarks recorded in docs/benchmarks.md: a generated production
// repository of 5,000 hosts and 200 switches, written once per benchmark.

const (
	benchHosts    = 5000
	benchSwitches = 200
)

func benchRepo(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	if err := synth.Repo(dir, benchHosts, benchSwitches); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkCheck5000 is what `fundament validate` does: load and validate.
func BenchmarkCheck5000(b *testing.B) {
	dir := benchRepo(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		c, d := Check(dir)
		if d.HasErrors() || len(c.Hosts) != benchHosts {
			b.Fatalf("generated repository: %d hosts, errors:\n%s", len(c.Hosts), render(d))
		}
	}
	b.StopTimer()
	reportPeakRSS(b)
}

// BenchmarkLoad5000 is the loading part of Check alone.
func BenchmarkLoad5000(b *testing.B) {
	dir := benchRepo(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if c, d := model.Load(dir); d.HasErrors() || len(c.Hosts) != benchHosts {
			b.Fatalf("generated repository: %d hosts, errors:\n%s", len(c.Hosts), render(d))
		}
	}
}

// BenchmarkValidate5000 is the semantic rules alone, on a loaded model.
func BenchmarkValidate5000(b *testing.B) {
	c, d := model.Load(benchRepo(b))
	if d.HasErrors() {
		b.Fatal(render(d))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if d := Validate(c); d.HasErrors() {
			b.Fatal(render(d))
		}
	}
}

// reportPeakRSS reports the peak resident set size of this process (the
// generator and earlier benchmarks included), from Linux's
// /proc/self/status; elsewhere it reports nothing.
func reportPeakRSS(b *testing.B) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for _, line := range bytes.Split(status, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			if kb, err := strconv.Atoi(string(bytes.TrimSuffix(bytes.TrimSpace(v), []byte(" kB")))); err == nil {
				b.ReportMetric(float64(kb)/1024, "peak-RSS-MB")
			}
			return
		}
	}
}
