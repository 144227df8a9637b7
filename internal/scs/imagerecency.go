package scs

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Outcomes of outdated, as the test's is_outdated numbers them.
const (
	current         = iota
	outdatedMarked  // hidden, or named "... old|prev|YYYY-MM-DD|YYYYMMDD"
	outdatedVisible // neither hidden nor marked
	outdatedNoUntil // provided_until is not a date
)

// outdated says whether an image is older than its replace_frequency
// promises (with 10% slack), and if so whether that is excused: an image
// past its provided_until date, or provided until "none" or "notice",
// need not be replaced.
func (c *imageChecker) outdated(img Image) int {
	build, ok := parseDate(img.Props["image_build_date"], dateLayouts)
	if !ok {
		build, ok = parseDate(img.Props["created_at"], strictDateLayouts)
	}
	if !ok {
		build = time.Unix(0, 0).UTC()
	}
	freq, ok := img.get("replace_frequency")
	if !ok {
		freq = "never"
	}
	period, known := replaceFrequency[freq]
	if !known || period == 0 || !c.opt.Now.After(build.Add(period*11/10)) {
		return current // an unknown frequency is prop-replace_frequency's finding
	}
	until := img.Props["provided_until"]
	if until == "none" || until == "notice" {
		return current
	}
	u, ok := parseDate(until, dateLayouts)
	switch {
	case !ok:
		return outdatedNoUntil
	case c.opt.Now.After(u):
		return current
	case img.Hidden():
		return outdatedMarked
	}
	i := strings.LastIndexByte(img.Name(), ' ')
	if i < 0 {
		return outdatedVisible
	}
	marker := img.Name()[i+1:]
	if _, date := parseDate(marker, markerDateLayouts); date || slices.Contains(outdatedMarkers, marker) {
		return outdatedMarked
	}
	return outdatedVisible
}

// checkRecency is scs-0102-image-recency: an outdated image needs a
// current replacement, named as it is without its last word.
func (c *imageChecker) checkRecency(images []Image) {
	byName := map[string]Image{}
	var dups []string
	for _, img := range images {
		if _, ok := byName[img.Name()]; ok && !slices.Contains(dups, img.Name()) {
			dups = append(dups, img.Name())
		}
		byName[img.Name()] = img // the test keeps the last
	}
	for _, d := range dups {
		c.out = append(c.out, Finding{Subject: d, Testcase: "scs-0102-image-recency", Level: Warning, Field: "name",
			Message: "duplicate name; only the last image of this name counts as a replacement"})
	}
	for _, img := range images {
		o := c.outdated(img)
		switch o {
		case current:
			continue
		case outdatedNoUntil:
			c.add(img, "image-recency", "provided_until", "outdated (replace_frequency %s) and provided_until %q is not a date",
				img.Props["replace_frequency"], img.Props["provided_until"])
			continue
		case outdatedVisible:
			c.out = append(c.out, Finding{Subject: img.Name(), Testcase: "scs-0102-image-recency", Level: Warning, Field: "os_hidden",
				Message: "outdated but neither hidden nor renamed (append old, prev or the build date YYYYMMDD)"})
		}
		short := strings.TrimRight(img.Name()[:max(strings.LastIndexByte(img.Name(), ' '), 0)], " \t\n\r\f\v")
		if r, ok := byName[short]; ok && short != "" && c.outdated(r) == current {
			continue
		}
		c.add(img, "image-recency", "image_build_date", "outdated (built %s, replace_frequency %s) and not replaced: %s",
			cmpStr(img.Props["image_build_date"], img.Props["created_at"]), img.Props["replace_frequency"], replacementHint(img.Name(), short))
	}
}

// replacementHint names the image the test takes for the replacement:
// the name without its last word.
func replacementHint(name, short string) string {
	if short == "" || short == name {
		return "a replacement needs this name, and this image a suffix such as old, prev or YYYYMMDD"
	}
	return fmt.Sprintf("no current image named %q (the name without its last word)", short)
}

func cmpStr(a, b string) string {
	if a != "" {
		return a
	}
	if b != "" {
		return b
	}
	return "at an unknown time"
}

// checkUniqueness is scs-0102-os_purpose-uniqueness: at most one public,
// visible generic image per architecture, distribution and version.
func (c *imageChecker) checkUniqueness(images []Image) {
	type key struct{ arch, distro, version string }
	var keys []key
	buckets := map[key][]string{}
	for _, img := range images {
		p := img.Props
		if img.Visibility() != "public" || img.Hidden() || p["os_distro"] == "" || p["os_version"] == "" || p["os_purpose"] != "generic" {
			continue
		}
		k := key{p["architecture"], p["os_distro"], p["os_version"]}
		if _, ok := buckets[k]; !ok {
			keys = append(keys, k)
		}
		buckets[k] = append(buckets[k], img.Name())
	}
	for _, k := range keys {
		if names := buckets[k]; len(names) > 1 {
			c.add(Image{Props: map[string]string{"name": strings.Join(names, ", ")}}, "os_purpose-uniqueness", "os_purpose",
				"os_purpose=generic on %d visible public images of architecture %q, os_distro %q, os_version %q; hide the old ones or mark them oldgeneric",
				len(names), k.arch, k.distro, k.version)
		}
	}
}
