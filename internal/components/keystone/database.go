package keystone

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/fundament-cloud/fundament/internal/resource"
)

// The one-time steps, on the first Keystone host. Their guards ask the
// database (helper.py, with the password in the environment, which plans
// never show): they run at every plan, and keystone-manage would take
// seconds to start for each.

// dbSync brings the schema to the installed Keystone's heads, once the
// database answers through the virtual IP (HAProxy and Galera may still
// be starting in the same apply). The guard compares the schema's
// version with the heads the package ships, so an upgraded package
// migrates again.
func (b *builder) dbSync() resource.Command {
	return resource.Command{
		Name:  "keystone/db-sync",
		Guard: helperCmd("synced"),
		Env:   map[string]string{"FM_DB_URL": b.dbURL},
		Script: "set -e\n" +
			helperCmd("wait", "600") + "\n" +
			asKeystone("db_sync") + "\n",
		// A migration cut short is never run again blindly (not
		// Idempotent): its guard, asked again, decides.
		Timeout: "30m",
	}
}

// bootstrap creates (or repairs) the administrator, its project and
// role, the default roles, the first region and the identity endpoints.
// keystone-manage bootstrap is idempotent and corrects an endpoint's URL
// or the admin's password; the guard holds while all of them are as
// desired, the password checked against its bcrypt hash.
func (b *builder) bootstrap() resource.Command {
	region := Region(b.c)
	return resource.Command{
		Name:  "keystone/bootstrap",
		Guard: helperCmd("bootstrapped", region, b.publicURL, b.internalURL),
		Env:   map[string]string{"FM_DB_URL": b.dbURL, "OS_BOOTSTRAP_PASSWORD": b.adminPassword},
		// keystone-manage bootstrap creates what is missing, repairs the rest.
		Idempotent: true,
		Script: "set -e\n" + asKeystone(strings.Join([]string{
			"bootstrap",
			"--bootstrap-username", AdminUser,
			"--bootstrap-project-name", AdminProject,
			"--bootstrap-role-name", AdminRole,
			"--bootstrap-service-name", "keystone",
			"--bootstrap-region-id", resource.Quote(region),
			"--bootstrap-public-url", resource.Quote(b.publicURL),
			"--bootstrap-internal-url", resource.Quote(b.internalURL),
		}, " ")) + "\n",
		Timeout: "10m",
	}
}

// serviceProject creates the project of the services' users and the
// regions after the first, through the API of the first host's Keystone
// (bootstrap knows one region, and no projects but the admin's).
func (b *builder) serviceProject() resource.Command {
	var regions []string
	for _, r := range b.c.Spec.Regions {
		regions = append(regions, r.Name)
	}
	return resource.Command{
		Name:    "keystone/service-project",
		Guard:   helperCmd(append([]string{"projects"}, regions...)...),
		Env:     map[string]string{"FM_DB_URL": b.dbURL, "OS_PASSWORD": b.adminPassword},
		Script:  "set -e\n" + helperCmd(append([]string{"ensure-projects", backendURL(b.addrs[0])}, regions[1:]...)...) + "\n",
		Timeout: "10m",
		// ensure-projects creates only what the API does not list.
		Idempotent: true,
	}
}

// credentialMigrate re-encrypts the credentials users stored with the
// primary credential key, after a rotation reached every host: the next
// rotation purges the key they were encrypted with before. It has no
// guard (the database does not say cheaply which key encrypted what): it
// runs once per set of credential keys, its script naming them, and the
// engine records it done.
func (b *builder) credentialMigrate() resource.Command {
	ks := b.keys[CredentialKeys.Name]
	idx := make([]string, len(ks.indices))
	for i, x := range ks.indices {
		idx[i] = strconv.Itoa(x)
	}
	return resource.Command{
		Name: "keystone/credential-migrate",
		Script: fmt.Sprintf("# credential keys %s, primary %d\nset -e\n%s\n",
			strings.Join(idx, " "), ks.indices[len(ks.indices)-1], asKeystone("credential_migrate")),
		Timeout: "30m",
		// Each credential is re-encrypted with the primary key, whichever
		// key it has now: a second run finishes what a cut one left.
		Idempotent: true,
	}
}
