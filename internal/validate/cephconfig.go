package validate

import (
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/fundament-cloud/fundament/internal/model"
)

// RuleCephConfig: the model's ceph.conf options are ones ceph.conf can
// hold, and not the ones Fundament writes from the model itself.
const RuleCephConfig = "ceph-config"

func init() {
	register(Rule{ID: RuleCephConfig, Summary: "ceph.config names sections (global, mon, mgr, osd, client, or one daemon: osd.3) and options ceph.conf can hold, on one line each, and not the options Fundament writes from the model (fsid, mon_host, the networks, cephx)", check: checkCephConfig})
}

var (
	cephSection = regexp.MustCompile(`^(global|mon|mgr|osd|mds|client)(\.[A-Za-z0-9_-]+)?$`)
	cephOption  = regexp.MustCompile(`^[a-z][a-z0-9_ ]*[a-z0-9]$`)
	// cephOwnOptions are written into [global] from the model: a second
	// value would silently win or lose.
	cephOwnOptions = []string{"fsid", "mon_initial_members", "mon_host", "public_network", "cluster_network",
		"auth_cluster_required", "auth_service_required", "auth_client_required", "ms_bind_msgr2"}
)

func checkCephConfig(ck *checker) {
	ceph := &ck.c.Services.Ceph
	if !model.Enabled(ceph.Enabled, true) {
		return
	}
	for _, sec := range slices.Sorted(maps.Keys(ceph.Config)) {
		opts := ceph.Config[sec]
		if !cephSection.MatchString(sec) {
			ck.d.Errorf(ceph.At("config."+sec), RuleCephConfig,
				"ceph.config has section %q; a section is global, mon, mgr, osd, mds or client, or one daemon's (osd.3, mon.stor-1)", sec)
			continue
		}
		for _, opt := range slices.Sorted(maps.Keys(opts)) {
			val := opts[opt]
			pos := ceph.At("config." + sec + "." + opt)
			norm := strings.ReplaceAll(opt, " ", "_")
			switch {
			case !cephOption.MatchString(opt):
				ck.d.Errorf(pos, RuleCephConfig, "ceph.config.%s has option %q; an option's name is lower-case letters, digits and underscores (osd_max_backfills)", sec, opt)
			case sec == "global" && slices.Contains(cephOwnOptions, norm):
				ck.d.Errorf(pos, RuleCephConfig, "ceph.config.global sets %s, which Fundament writes from the model (the networks, the monitors, the secrets); remove it here", opt)
			case strings.ContainsAny(val, "\n\r") || strings.TrimSpace(val) != val || val == "":
				ck.d.Errorf(pos, RuleCephConfig, "ceph.config.%s.%s has a value that is empty, spans lines or begins or ends with a space; ceph.conf holds one line per option", sec, opt)
			}
		}
	}
}
