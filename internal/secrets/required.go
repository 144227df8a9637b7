package secrets

import "github.com/fundament-cloud/fundament/internal/model"

// Required lists the secrets a cloud needs, derived from what it enables:
// one database password, message-queue password and Keystone service-user
// password per OpenStack service, the shared Keystone keys, and the
// cluster secrets of the infrastructure services. `fundament secrets
// generate` creates the ones missing; later issues' components read them.
func Required(c *model.Cloud) []Spec {
	specs := []Spec{
		{Name: "galera-mariabackup", Kind: Password, Description: "MariaDB user for Galera state transfers (mariabackup SST)"},
		{Name: "rabbitmq-erlang-cookie", Kind: Hex, Length: 20, Description: "Erlang cookie shared by the RabbitMQ cluster"},
		{Name: "rabbitmq-admin", Kind: Password, Description: "RabbitMQ administrator password"},
		{Name: "haproxy-stats", Kind: Password, Description: "HAProxy statistics page password"},
	}
	specs = append(specs, TLSSpecs(c)...)
	os := &c.Services.OpenStack
	if model.Enabled(os.Keystone.Enabled, true) {
		specs = append(specs,
			Spec{Name: "keystone-db", Kind: Password, Description: "Keystone database password"},
			Spec{Name: "keystone-admin", Kind: Password, Description: "password of the cloud administrator (user admin, domain Default)"},
			Spec{Name: "keystone-fernet-0", Kind: FernetKey, Ring: "keystone-fernet-", Description: "Keystone fernet key 0 (staged)"},
			Spec{Name: "keystone-fernet-1", Kind: FernetKey, Ring: "keystone-fernet-", Description: "Keystone fernet key 1 (primary)"},
			Spec{Name: "keystone-credential-0", Kind: FernetKey, Ring: "keystone-credential-", Description: "Keystone credential key 0"},
			Spec{Name: "keystone-credential-1", Kind: FernetKey, Ring: "keystone-credential-", Description: "Keystone credential key 1"},
			Spec{Name: "memcache-secret-key", Kind: Password, Description: "keystonemiddleware memcache_secret_key shared by the API services"},
		)
	}
	service := func(name string, enabled *bool, db, mq bool) {
		if !model.Enabled(enabled, true) {
			return
		}
		if db {
			specs = append(specs, Spec{Name: name + "-db", Kind: Password, Description: name + " database password"})
		}
		if mq {
			specs = append(specs, Spec{Name: name + "-rabbitmq", Kind: Password, Description: name + " RabbitMQ user password"})
		}
		specs = append(specs, Spec{Name: name + "-keystone", Kind: Password, Description: name + " service user password in Keystone"})
	}
	service("glance", os.Glance.Enabled, true, false)
	service("placement", os.Placement.Enabled, true, false)
	service("nova", os.Nova.Enabled, true, true)
	service("neutron", os.Neutron.Enabled, true, true)
	service("cinder", os.Cinder.Enabled, true, true)
	if model.Enabled(os.Neutron.Enabled, true) {
		specs = append(specs, Spec{Name: "neutron-metadata-secret", Kind: Password, Description: "shared secret of the Nova metadata proxy"})
	}
	if model.Enabled(c.Services.Ceph.Enabled, true) {
		specs = append(specs, Spec{Name: "ceph-fsid", Kind: Token, Description: "the Ceph cluster's fsid"})
	}
	if model.Enabled(c.Services.Kubernetes.Enabled, false) {
		specs = append(specs, Spec{Name: "kubernetes-encryption-key", Kind: FernetKey, Description: "key encrypting Kubernetes secrets at rest"})
	}
	return specs
}
