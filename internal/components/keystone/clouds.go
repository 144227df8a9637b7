package keystone

import (
	"fmt"
	"path/filepath"

	"github.com/fundament-cloud/fundament/internal/endpoint"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/openstack"
)

// hostCloudsPath is the admin's clouds.yaml on the Keystone hosts, where
// the openstack client looks for it when root runs it.
const hostCloudsPath = "/root/.config/openstack/clouds.yaml"

// hostCAPath is the public endpoint's CA beside it.
func hostCAPath(c *model.Cloud) string {
	return filepath.Join(filepath.Dir(hostCloudsPath), CAFileName(c))
}

// CAFileName is the name of the CA file written next to a clouds.yaml:
// per cloud, so that the files of several clouds can share a directory.
func CAFileName(c *model.Cloud) string { return c.Spec.Name + "-ca.pem" }

// AdminCloud is the clouds.yaml entry of the cloud's administrator on an
// interface: the identity endpoint's URL there, the admin project of the
// default domain, the first region. cacert is the CA file's absolute
// path, "" when clients need none.
func AdminCloud(c *model.Cloud, iface endpoint.Interface, password, cacert string) (openstack.Cloud, error) {
	api := Service.Endpoint()
	url, ok := endpoint.URL(c, iface, api)
	if !ok {
		return openstack.Cloud{}, fmt.Errorf("the cloud has no %s virtual IP (network.yaml virtual_ips)", iface)
	}
	return openstack.Cloud{
		Name:   c.Spec.Name,
		CACert: cacert,
		Credentials: openstack.Credentials{
			AuthURL: url, Username: AdminUser, Password: password, UserDomain: DefaultDomain,
			Project: AdminProject, ProjectDomain: DefaultDomain, Region: Region(c), Interface: string(iface),
		},
	}, nil
}

// hostCloudsYAML is the clouds.yaml of the Keystone hosts: the cloud's
// name for the internal endpoint (every Keystone host reaches it, no TLS
// involved) and <name>-public for the public one, with the CA when the
// endpoint needs one.
func hostCloudsYAML(c *model.Cloud, password string, withCA bool) ([]byte, error) {
	internal, err := AdminCloud(c, endpoint.Internal, password, "")
	if err != nil {
		return nil, err
	}
	ca := ""
	if withCA {
		ca = hostCAPath(c)
	}
	public, err := AdminCloud(c, endpoint.Public, password, ca)
	if err != nil {
		return nil, err
	}
	public.Name += "-public"
	return openstack.CloudsYAML([]string{
		header,
		"The administrator of cloud " + c.Spec.Name + ": openstack --os-cloud " + internal.Name + " (internal endpoint)",
		"or --os-cloud " + public.Name + " (public endpoint).",
	}, internal, public)
}
