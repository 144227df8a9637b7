package secrets

import (
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/service"
)

// Required lists the secrets a cloud needs: the cluster secrets of the
// infrastructure services, the generated certificate of the public
// endpoint, Ceph's fsid and keys, and what each service the cloud enables declares (its
// database, message-queue and Keystone passwords, its own keys).
// `fundament secrets generate` creates the ones missing.
func Required(c *model.Cloud) []Spec {
	specs := []Spec{
		{Name: "galera-mariabackup", Kind: Password, Description: "MariaDB user for Galera state transfers (mariabackup SST)"},
		{Name: "rabbitmq-erlang-cookie", Kind: Hex, Length: 20, Description: "Erlang cookie shared by the RabbitMQ cluster"},
		{Name: "rabbitmq-admin", Kind: Password, Description: "RabbitMQ administrator password"},
		{Name: "haproxy-stats", Kind: Password, Description: "HAProxy statistics page password"},
	}
	specs = append(specs, TLSSpecs(c)...)
	specs = append(specs, CephSpecs(c)...)
	for _, s := range service.Enabled(c) {
		for _, sec := range s.AllSecrets() {
			kind := Kind(sec.Kind)
			if kind == "" {
				kind = Password
			}
			specs = append(specs, Spec{Name: sec.Name, Kind: kind, Length: sec.Length, Ring: sec.Ring, Description: sec.Description})
		}
	}
	return specs
}

// Identifiers are the names of the required secrets that are no
// credentials (Spec.Identifier).
func Identifiers(c *model.Cloud) map[string]bool {
	out := map[string]bool{}
	for _, sp := range Required(c) {
		if sp.Identifier {
			out[sp.Name] = true
		}
	}
	return out
}
