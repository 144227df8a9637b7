package lab

import (
	"sort"

	"github.com/fundament-cloud/fundament/internal/release"
	"github.com/fundament-cloud/fundament/internal/resource"
)

// ImageFor is the image of a cloud's lab: the base, and every package of
// its release stream at the stream's version, so that the engine finds
// them installed (lab hosts cannot reach a mirror) and memory for their
// files is shared by all hosts through the page cache.
func ImageFor(s *release.Stream) ImageSpec {
	spec := DefaultImageSpec()
	if s.DebianSuite != "" {
		spec.Suite = s.DebianSuite
	}
	if s.AptMirror != "" {
		spec.Mirror = s.AptMirror
	}
	for _, c := range s.Components {
		for name, version := range c.Packages {
			spec.Packages = append(spec.Packages, resource.Package{Name: name, Version: version})
		}
	}
	sort.Slice(spec.Packages, func(i, j int) bool { return spec.Packages[i].Name < spec.Packages[j].Name })
	return spec
}
