package health

import "strings"

// ThroughVIP is what a service's check says about its virtual IP: each
// member tried the service through it, and the result names every member
// (hosts), so that a rolling restart goes on only while clients get
// through. ok are the members that got an answer, failed the others, each
// "host: why". worked and none phrase the two outcomes ("tokens issued
// and validated", "no token"); service names the members ("Keystone").
func ThroughVIP(url string, hosts, ok, failed []string, service, worked, none string) Result {
	r := Result{Target: "internal-vip", Hosts: hosts}
	switch {
	case len(ok) == 0 && len(failed) == 0:
		r.Status, r.Reason = Down, "no "+service+" host could be asked to try "+url
	case len(ok) == 0:
		r.Status, r.Reason = Down, none+" through "+url+": "+strings.Join(failed, "; ")
	case len(failed) > 0:
		r.Status, r.Reason = Degraded, worked+" through "+url+" from "+strings.Join(ok, ", ")+", but not from "+strings.Join(failed, "; ")
	default:
		r.Status, r.Reason = OK, worked+" through "+url+" from "+strings.Join(ok, ", ")
	}
	return r
}
