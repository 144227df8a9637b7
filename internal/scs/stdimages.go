package scs

import (
	"fmt"
	"regexp"
	"strings"
)

// imageSpec is an entry of an SCS-0104 image list: an exact name or a
// name scheme (a regular expression anchored at the start only, as
// Python's re.match), the allowed image_source prefixes, and the status.
type imageSpec struct {
	id      string // testcase suffix: scs-0104-source-<id>, scs-0104-image-<id>
	name    string
	scheme  *regexp.Regexp
	sources []string
	status  string // mandatory, recommended, or "" (optional, source checked only)
}

func (s imageSpec) matches(name string) bool {
	if s.scheme != nil {
		return s.scheme.MatchString(name)
	}
	return name == s.name
}

func (s imageSpec) label() string {
	if s.scheme != nil {
		return "matching " + strings.TrimPrefix(s.scheme.String(), "^")
	}
	return fmt.Sprintf("%q", s.name)
}

func scheme(re string) *regexp.Regexp { return regexp.MustCompile("^" + re) }

func ubuntu(codename string) []string {
	return []string{"https://cloud-images.ubuntu.com/releases/" + codename + "/", "https://cloud-images.ubuntu.com/" + codename + "/"}
}

func debian(codename string) []string {
	return []string{"https://cloud.debian.org/images/cloud/" + codename + "/", "https://cdimage.debian.org/cdimage/cloud/" + codename + "/"}
}

// capiSources are the places the test accepts for Cluster API images.
var capiSources = []string{
	"https://nbg1.your-objectstorage.com/osism/openstack-k8s-capi-images/",
	"https://swift.services.a.regiocloud.tech/swift/v1/AUTH_b182637428444b9aa302bb8d5a5a418c/openstack-k8s-capi-images/ubuntu-2404-kube",
	"https://swift.services.a.regiocloud.tech/swift/v1/AUTH_b182637428444b9aa302bb8d5a5a418c/openstack-k8s-capi-images/ubuntu-2204-kube",
}

// CAPI image names: v4 separated the version with a space, v5 with "-".
var (
	capi1 = imageSpec{id: "capi-1", name: "ubuntu-capi-image", scheme: scheme(`ubuntu-capi-image v[0-9]\.[0-9]+(\.[0-9]+)?`), sources: capiSources}
	capi2 = imageSpec{id: "capi-2", name: "ubuntu-capi-image", scheme: scheme(`ubuntu-capi-image-v[0-9]\.[0-9]+(\.[0-9]+)?`), sources: capiSources}
)

func withStatus(s imageSpec, status string) imageSpec {
	s.status = status
	return s
}

// standardImages are the SCS-0104 v1 image lists by spec: v5
// (scs-0104-v1-images-v5.yaml, scope v5.1 and next) and v4
// (scs-0104-v1-images.yaml). The ids are the testcases of the scope.
var standardImages = map[string][]imageSpec{
	"v5": {
		{id: "ubuntu-2404", name: "Ubuntu 24.04", sources: ubuntu("noble"), status: Mandatory},
		{id: "debian-12", name: "Debian 12", sources: debian("bookworm"), status: Recommended},
		withStatus(capi2, Recommended),
		capi1,
		{id: "ubuntu-2204", name: "Ubuntu 22.04", sources: ubuntu("jammy")},
		{id: "ubuntu-2004", name: "Ubuntu 20.04", sources: ubuntu("focal")},
		{id: "debian-13", name: "Debian 13", sources: debian("trixie")},
		{id: "debian-11", name: "Debian 11", sources: debian("bullseye")},
	},
	"v4": {
		{id: "ubuntu-2204", name: "Ubuntu 22.04", sources: ubuntu("jammy"), status: Mandatory},
		withStatus(capi1, Recommended),
		{id: "ubuntu-2004", name: "Ubuntu 20.04", sources: ubuntu("focal")},
		{id: "debian-12", name: "Debian 12", sources: debian("bookworm")},
		{id: "debian-11", name: "Debian 11", sources: debian("bullseye")},
	},
}

// checkStandardSource is scs-0104-source-*: a standard image must come
// from one of the listed places.
func (c *imageChecker) checkStandardSource(img Image) {
	for _, s := range standardImages[c.opt.Scope.StandardImageSet] {
		if !s.matches(img.Name()) {
			continue
		}
		src, ok := img.get("image_source")
		if ok && hasAnyPrefix(src, s.sources) {
			continue
		}
		c.out = append(c.out, Finding{Subject: img.Name(), Testcase: "scs-0104-source-" + s.id, Level: Error, Field: "image_source",
			Message: fmt.Sprintf("%s, a standard image %s must come from %s", valueOrUnset(src, ok), s.label(), strings.Join(s.sources, " or "))})
	}
}

// checkStandardPresence is scs-0104-image-*: the mandatory images must
// exist (an error), the recommended ones should (a warning).
func (c *imageChecker) checkStandardPresence(images []Image) {
	for _, s := range standardImages[c.opt.Scope.StandardImageSet] {
		if s.status == "" || anyMatches(s, images) {
			continue
		}
		level := Error
		if s.status == Recommended {
			level = Warning
		}
		c.out = append(c.out, Finding{Subject: s.name, Testcase: "scs-0104-image-" + s.id, Level: level,
			Message: fmt.Sprintf("no image %s (%s)", s.label(), s.status)})
	}
}

func anyMatches(s imageSpec, images []Image) bool {
	for _, img := range images {
		if s.matches(img.Name()) {
			return true
		}
	}
	return false
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
