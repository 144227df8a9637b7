package scs

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Scope is a version of the SCS-compatible IaaS certificate: it fixes the
// major version of SCS-0102 and the SCS-0104 image list that apply.
type Scope struct {
	Name             string
	MetadataVersion  int    // SCS-0102 v1 or v2
	StandardImageSet string // SCS-0104 image spec: "v5" or "v4"
}

// Scopes are the certificate versions with image rules; v5.1 is the
// effective one.
var Scopes = []Scope{
	{Name: "v5.1", MetadataVersion: 1, StandardImageSet: "v5"},
	{Name: "next", MetadataVersion: 2, StandardImageSet: "v5"},
	{Name: "v4", MetadataVersion: 1, StandardImageSet: "v4"},
}

// LookupScope finds a scope by name.
func LookupScope(name string) (Scope, error) {
	for _, s := range Scopes {
		if s.Name == name {
			return s, nil
		}
	}
	return Scope{}, fmt.Errorf("unknown scope %q: use v5.1, next or v4", name)
}

// ImageOptions control CheckImages.
type ImageOptions struct {
	Scope Scope
	Now   time.Time // the reference time for recency and future dates
	// Complete says the images are all public images of the cloud, so
	// that a missing standard image (SCS-0104) is a finding.
	Complete bool
}

// Values the SCS-0102 test accepts.
var (
	architectures   = []string{"x86_64", "aarch64", "risc-v"}
	hwDiskBuses     = []string{"virtio", "scsi"}
	hypervisorTypes = []string{"qemu", "kvm", "xen", "hyper-v", "esxi"}
	hashAlgos       = []string{"sha256", "sha512"}
	osPurposes      = []string{"generic", "minimal", "k8snode", "gpu", "network", "custom"}
	// replaceFrequency is the test's period, rounded up a bit on purpose;
	// 0 means the image need not be replaced.
	replaceFrequency = map[string]time.Duration{
		"yearly": 365 * 24 * time.Hour, "quarterly": 92 * 24 * time.Hour, "monthly": 31 * 24 * time.Hour,
		"weekly": 7 * 25 * time.Hour, "daily": 25 * time.Hour, "critical_bug": 0, "never": 0,
	}
	replaceFrequencies = []string{"yearly", "quarterly", "monthly", "weekly", "daily", "critical_bug", "never"}
)

// Date layouts of the test (Python strptime, which takes one or two
// digits for month, day, hour, minute and second).
var (
	strictDateLayouts = []string{"2006-1-2T15:4:5Z"}
	dateLayouts       = []string{"2006-1-2T15:4:5Z", "2006-1-2 15:4:5", "2006-1-2 15:4", "2006-1-2"}
	markerDateLayouts = []string{"2006-1-2", "20060102"}
	outdatedMarkers   = []string{"old", "prev"}
)

func parseDate(s string, layouts []string) (time.Time, bool) {
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// recommendedTestcases are the SCS-0102 testcases of the recommended
// target; all others are main. v2 moves os_purpose to main.
var recommendedTestcases = map[int][]string{
	1: {"prop-hash_algo", "prop-os_purpose", "prop-hypervisor_type", "prop-hw_rng_model", "prop-hotfix_hours", "os_purpose-uniqueness"},
	2: {"prop-hash_algo", "prop-hypervisor_type", "prop-hw_rng_model", "prop-hotfix_hours"},
}

type imageChecker struct {
	opt ImageOptions
	out []Finding
}

// add reports a failed SCS-0102 testcase, an error or a warning as its
// target is main or recommended.
func (c *imageChecker) add(img Image, tc, field, format string, args ...any) {
	level := Error
	if slices.Contains(recommendedTestcases[c.opt.Scope.MetadataVersion], tc) {
		level = Warning
	}
	c.out = append(c.out, Finding{Subject: img.Name(), Testcase: "scs-0102-" + tc, Level: level, Field: field,
		Message: fmt.Sprintf(format, args...)})
}

// advise reports a rule of the standard's text that the test does not
// enforce.
func (c *imageChecker) advise(img Image, tc, field, format string, args ...any) {
	c.out = append(c.out, Finding{Subject: img.Name(), Testcase: "scs-0102-" + tc, Level: Warning, Field: field,
		Message: fmt.Sprintf(format, args...) + " (standard text; the test accepts it)"})
}

// CheckImages checks images against SCS-0102 (image metadata) and
// SCS-0104 (standard images) of the scope. The tests cover images of
// visibility public and community, hidden ones included; others are
// skipped with an info finding.
func CheckImages(images []Image, opt ImageOptions) []Finding {
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	if opt.Scope.Name == "" {
		opt.Scope = Scopes[0]
	}
	c := &imageChecker{opt: opt}
	var checked []Image
	for _, img := range images {
		if v := img.Visibility(); v != "public" && v != "community" {
			c.out = append(c.out, Finding{Subject: img.Name(), Level: Info, Field: "visibility",
				Message: fmt.Sprintf("not checked: visibility %s (the tests cover public and community images)", v)})
			continue
		}
		checked = append(checked, img)
		for _, check := range propertyChecks {
			check(c, img)
		}
		c.checkStandardSource(img)
	}
	c.checkRecency(checked)
	c.checkUniqueness(checked)
	if opt.Complete {
		c.checkStandardPresence(checked)
	}
	return c.out
}

var propertyChecks = []func(*imageChecker, Image){
	checkArchitecture, checkMinDisk, checkMinRAM, checkOSVersion, checkOSDistro, checkHWDiskBus,
	checkBuildDate, checkOriginalUser, checkImageSource, checkDescription, checkReplaceFrequency,
	checkProvidedUntil, checkUUIDValidity, checkHashAlgo, checkOSPurpose, checkHypervisorType,
	checkRNGModel, checkHotfixHours,
}

func checkArchitecture(c *imageChecker, img Image) {
	if v, ok := img.get("architecture"); !slices.Contains(architectures, v) {
		c.add(img, "prop-architecture", "architecture", "%s, must be one of %s", valueOrUnset(v, ok), strings.Join(architectures, ", "))
	}
}

// size reads min_disk or min_ram, which the test wants non-zero.
func size(c *imageChecker, img Image, field, what string) (int64, bool) {
	v := img.Props[field]
	n, err := strconv.ParseInt(v, 10, 64)
	switch {
	case v == "" || (err == nil && n == 0):
		c.add(img, "prop-"+field, field, "%s: %s must be set", zeroOrUnset(v), what)
	case err != nil || n < 0:
		c.add(img, "prop-"+field, field, "%q is not a whole number (%s)", v, what)
	default:
		return n, true
	}
	return 0, false
}

func checkMinDisk(c *imageChecker, img Image) {
	n, ok := size(c, img, "min_disk", "the smallest root disk in GiB")
	if s, err := strconv.ParseInt(img.Props["size"], 10, 64); ok && err == nil && n<<30 < s {
		c.add(img, "prop-min_disk", "min_disk", "%d GiB is smaller than the image (%d bytes)", n, s)
	}
}

func checkMinRAM(c *imageChecker, img Image) {
	if n, ok := size(c, img, "min_ram", "the RAM in MiB the image needs to boot"); ok && n < 64 {
		c.out = append(c.out, Finding{Subject: img.Name(), Testcase: "scs-0102-prop-min_ram", Level: Warning, Field: "min_ram",
			Message: fmt.Sprintf("%d MiB is very little to boot and survive 10 s", n)})
	}
}

func checkOSVersion(c *imageChecker, img Image) {
	v := img.Props["os_version"]
	if v == "" {
		c.add(img, "prop-os_version", "os_version", "not set")
	} else if strings.Trim(v, "0123456789.") != "" {
		c.advise(img, "prop-os_version", "os_version", "%q is not numeric; use the version number where there is one (24.04)", v)
	}
}

func checkOSDistro(c *imageChecker, img Image) {
	v := img.Props["os_distro"]
	if v == "" {
		c.add(img, "prop-os_distro", "os_distro", "not set")
	} else if v != strings.ToLower(v) {
		c.advise(img, "prop-os_distro", "os_distro", "%q: the OpenStack values are lowercase", v)
	}
}

func checkHWDiskBus(c *imageChecker, img Image) {
	v, ok := img.get("hw_disk_bus")
	switch {
	case !ok:
		c.advise(img, "prop-hw_disk_bus", "hw_disk_bus", "not set, but mandatory")
	case !slices.Contains(hwDiskBuses, v):
		c.add(img, "prop-hw_disk_bus", "hw_disk_bus", "%q, must be virtio or scsi", v)
	case v == "scsi" && img.Props["hw_scsi_model"] == "":
		c.advise(img, "prop-hw_disk_bus", "hw_scsi_model", "not set; recommended with hw_disk_bus=scsi (virtio-scsi)")
	}
}

func checkBuildDate(c *imageChecker, img Image) {
	v, ok := img.get("image_build_date")
	build, valid := parseDate(v, dateLayouts)
	if !valid {
		c.add(img, "prop-image_build_date", "image_build_date", "%s, must be YYYY-MM-DD or YYYY-MM-DD hh:mm[:ss] (UTC)", valueOrUnset(v, ok))
	}
	reg := time.Time{}
	if created, ok := img.get("created_at"); ok {
		var strict bool
		if reg, strict = parseDate(created, strictDateLayouts); !strict {
			c.add(img, "prop-image_build_date", "created_at", "%q is not YYYY-MM-DDThh:mm:ssZ, so the test takes the registration date for 1970", created)
		} else if valid && build.After(reg) {
			c.add(img, "prop-image_build_date", "image_build_date", "%s is after the registration date %s", v, created)
		}
	}
	if t := cmpOr(build, reg); t.After(c.opt.Now) {
		c.add(img, "prop-image_build_date", "image_build_date", "build time %s is in the future", t.Format(time.RFC3339))
	}
}

func cmpOr(a, b time.Time) time.Time {
	if !a.IsZero() {
		return a
	}
	return b
}

func checkOriginalUser(c *imageChecker, img Image) {
	if img.Props["image_original_user"] == "" {
		c.add(img, "prop-image_original_user", "image_original_user", "not set (use none when the OS has no default user)")
	}
}

func checkImageSource(c *imageChecker, img Image) {
	if v, ok := img.get("image_source"); v != "private" && !isURL(v) {
		c.add(img, "prop-image_source", "image_source", "%s, must be a http, https, ftp or ftps URL or private", valueOrUnset(v, ok))
	}
}

func isURL(s string) bool {
	scheme, _, ok := strings.Cut(s, "://")
	return ok && slices.Contains([]string{"http", "https", "ftp", "ftps"}, scheme)
}

func checkDescription(c *imageChecker, img Image) {
	if img.Props["image_description"] == "" {
		c.add(img, "prop-image_description", "image_description", "not set (a URL or text)")
	}
}

func checkReplaceFrequency(c *imageChecker, img Image) {
	if v, ok := img.get("replace_frequency"); !slices.Contains(replaceFrequencies, v) {
		c.add(img, "prop-replace_frequency", "replace_frequency", "%s, must be one of %s", valueOrUnset(v, ok), strings.Join(replaceFrequencies, ", "))
	}
}

func checkProvidedUntil(c *imageChecker, img Image) {
	v := img.Props["provided_until"]
	if v == "" {
		c.add(img, "prop-provided_until", "provided_until", "not set (YYYY-MM-DD, none or notice)")
	} else if _, date := parseDate(v, []string{"2006-01-02"}); !date && v != "none" && v != "notice" {
		c.advise(img, "prop-provided_until", "provided_until", "%q, should be YYYY-MM-DD, none or notice", v)
	}
}

func checkUUIDValidity(c *imageChecker, img Image) {
	v, ok := img.get("uuid_validity")
	n, isLast := strings.CutPrefix(v, "last-")
	switch {
	case !ok:
		c.advise(img, "prop-uuid_validity", "uuid_validity", "not set, but mandatory")
	case v == "none" || v == "notice" || v == "forever":
	case isLast && n != "" && strings.Trim(n, "0123456789") == "":
	default:
		if _, date := parseDate(v, dateLayouts); !date {
			c.add(img, "prop-uuid_validity", "uuid_validity", "%q, must be none, last-N, YYYY-MM-DD, notice or forever", v)
		}
	}
}

func checkHashAlgo(c *imageChecker, img Image) {
	if v, ok := img.get("os_hash_algo"); !slices.Contains(hashAlgos, v) {
		c.add(img, "prop-hash_algo", "os_hash_algo", "%s, should be sha256 or sha512", valueOrUnset(v, ok))
	} else if img.Props["os_hash_value"] == "" {
		c.advise(img, "prop-hash_algo", "os_hash_value", "not set; recommended with os_hash_algo")
	}
}

func checkOSPurpose(c *imageChecker, img Image) {
	allowed := osPurposes
	if c.opt.Scope.MetadataVersion >= 2 {
		allowed = append(slices.Clone(osPurposes), "oldgeneric")
	}
	if v, ok := img.get("os_purpose"); !slices.Contains(allowed, v) {
		c.add(img, "prop-os_purpose", "os_purpose", "%s, must be one of %s", valueOrUnset(v, ok), strings.Join(allowed, ", "))
	}
}

func checkHypervisorType(c *imageChecker, img Image) {
	if v, ok := img.get("hypervisor_type"); ok && !slices.Contains(hypervisorTypes, v) {
		c.add(img, "prop-hypervisor_type", "hypervisor_type", "%q, must be one of %s or unset", v, strings.Join(hypervisorTypes, ", "))
	}
}

func checkRNGModel(c *imageChecker, img Image) {
	if v, ok := img.get("hw_rng_model"); ok && v != "virtio" {
		c.add(img, "prop-hw_rng_model", "hw_rng_model", "%q, must be virtio or unset", v)
	}
}

func checkHotfixHours(c *imageChecker, img Image) {
	if v := img.Props["hotfix_hours"]; strings.Trim(v, "0123456789") != "" {
		c.add(img, "prop-hotfix_hours", "hotfix_hours", "%q, must be a number of hours (0: best effort)", v)
	}
}

func zeroOrUnset(v string) string {
	if v == "" {
		return "not set"
	}
	return v
}

func valueOrUnset(v string, ok bool) string {
	if !ok {
		return "not set"
	}
	return strconv.Quote(v)
}
