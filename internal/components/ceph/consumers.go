package ceph

import (
	"fmt"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/components/hostnet"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/resource"
	"github.com/fundament-cloud/fundament/internal/service"
)

// consumerKeyring is where librados finds a client's keyring by default.
func consumerKeyring(client string) string { return "/etc/ceph/ceph.client." + client + ".keyring" }

// ClientReady is what a service's unit waits for on host: its client's
// keyring, written after ceph.conf (service.CephClient).
func ClientReady(host, client string) catalog.Ref {
	return catalog.Ref{Host: host, ID: resource.ID{Kind: resource.KindFile, Name: consumerKeyring(client)}}
}

// consumers declares, on the hosts of every service that is a Ceph client
// (its declaration's Ceph), what librados needs there: ceph-common and
// ceph.conf where the host is no Ceph host (a Ceph host has both), and
// the client's keyring, 0640 root:GROUP after the service's package made
// the group. No service is named here: the declarations say it all.
func (b *builder) consumers() error {
	for _, s := range service.Enabled(b.in.Cloud) {
		cc := s.CephClientOf(b.in.Cloud)
		if cc == nil {
			continue
		}
		key, ok := b.k.Clients[cc.Client]
		if !ok {
			return fmt.Errorf("%s is a Ceph client as client.%s, which Ceph does not make (no pool of its own, or no such client)", s.Name, cc.Client)
		}
		for _, h := range s.Hosts(b.in.Cloud) {
			conf, err := b.clientHost(h)
			if err != nil {
				return err
			}
			text, err := ClientKeyring(cc.Client, key)
			if err != nil {
				return err
			}
			kr := b.add(h.Name, resource.File{Path: consumerKeyring(cc.Client), Content: []byte(text),
				Mode: "0640", Owner: "root", Group: cc.Group, Secret: true}, conf)
			kr.After = append(kr.After, catalog.Ref{Host: h.Name, ID: resource.ID{Kind: resource.KindPackage, Name: cc.Package}})
		}
	}
	return nil
}

// clientHost returns the host's ceph.conf item, declaring ceph-common
// and ceph.conf on a host that is no Ceph host (once, whatever the
// number of its services that are clients).
func (b *builder) clientHost(h *model.Host) (*catalog.Item, error) {
	if hi := b.perHost[h.Name]; hi != nil {
		return hi.conf, nil
	}
	if conf := b.clients[h.Name]; conf != nil {
		return conf, nil
	}
	pkg, err := b.in.Package(commonPackage)
	if err != nil {
		return nil, err
	}
	p := b.add(h.Name, pkg)
	p.After = append(p.After, hostnet.Ready(h.Name))
	conf := b.add(h.Name, resource.File{Path: confPath, Content: []byte(cephConf(b.t, b.k.FSID))}, p)
	b.clients[h.Name] = conf
	return conf, nil
}
