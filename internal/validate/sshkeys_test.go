package validate

import (
	"strings"
	"testing"
)

const testHostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIArftLSbwOLbOKv8weXT/QkR4kfp6ZXlWKzvJLV73T0X"

// Switches pin their key under their own ssh; fabric.ssh pins none, and a
// switch's ssh.port is checked like a host's.
func TestSSHHostKeySwitches(t *testing.T) {
	net := readBase(t, "network.yaml")
	net = strings.Replace(net, "fabric:\n", "fabric:\n  ssh: {user: admin, host_key: \""+testHostKey+"\"}\n", 1)
	net = strings.Replace(net, "loopback: 10.0.0.1}", "loopback: 10.0.0.1, ssh: {host_key: \""+testHostKey+"\"}}", 1)
	net = strings.Replace(net, "loopback: 10.0.0.2}", "loopback: 10.0.0.2, ssh: {host_key: \"ssh-ed25519\", port: 70000}}", 1)
	got := diagnose(t, baseWith(t, map[string]string{"network.yaml": net}))
	want := strings.Join([]string{
		"network.yaml:2:32: error: fabric.ssh.host_key: a host key is pinned per host or switch, not for all of them (hosts sharing a key can impersonate each other); set ssh.host_key on each, or trust their SSH CA in cloud.yaml's ssh_known_hosts [ssh-host-key]",
		"network.yaml:6:96: error: ssh.host_key of switch spine-2: not an SSH public key (expected TYPE BASE64, as in /etc/ssh/ssh_host_ed25519_key.pub) [ssh-host-key]",
		"network.yaml:6:117: error: ssh port 70000 is not a TCP port; use 1 to 65535 [invalid-value]",
	}, "\n")
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
