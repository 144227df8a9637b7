package fabric

import (
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/release"
)

// streamVersion is the version of a package the cloud's release pins.
func streamVersion(c *model.Cloud, pkg string) (string, bool) {
	s, ok := release.Lookup(c.Spec.Release)
	if !ok {
		return "", false
	}
	return s.PackageVersion(pkg)
}
