package keystone

import (
	"slices"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/components/memcached"
	"github.com/fundament-cloud/fundament/internal/render/ini"
	"github.com/fundament-cloud/fundament/internal/testutil/example"
	"github.com/fundament-cloud/fundament/internal/testutil/servicetest"
)

// The middleware's section of a declared service: its own user and
// password, Keystone's URLs, the shared memcache key; and the step its
// service waits for.
func TestAuthToken(t *testing.T) {
	servicetest.Use(t, Service, servicetest.Demo)
	s := newFakeSecrets(t, "demo-keystone", MemcacheSecret)
	c := example.Load(t, "lab")
	in := &catalog.Input{Cloud: c, Secret: s.get}
	a, err := NewAuthToken(in, servicetest.Demo)
	if err != nil {
		t.Fatal(err)
	}
	f := ini.New("test")
	a.Section(f)
	got := s.placeholders(f.String())
	for _, want := range []string{
		"www_authenticate_uri=https://10.199.100.10:5000/v3\n", "auth_url=http://10.199.20.10:5000/v3\n",
		"username=demo\n", "password={{secret demo-keystone}}\n", "project_name=service\n", "region_name=RegionOne\n",
		"memcached_servers=10.199.20.11:11211,10.199.20.12:11211,10.199.20.13:11211\n",
		"memcache_secret_key={{secret memcache-secret-key}}\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("[keystone_authtoken] lacks %q:\n%s", want, got)
		}
	}
	if want, _ := RegistrationRef(c, servicetest.Demo); !slices.Contains(a.After, want) {
		t.Errorf("starts after %v, want its registration %v among them", a.After, want)
	}
	// Its token cache: after every memcached (the lab's three).
	if want := memcached.Ready(c); len(want) != 3 || !slices.Equal(a.After[1:], want) {
		t.Errorf("starts after %v, want every memcached %v after the registration", a.After, want)
	}

	// A service without a Keystone user has nothing to validate with.
	userless := *servicetest.Demo
	userless.User = nil
	if _, err := NewAuthToken(in, &userless); err == nil || !strings.Contains(err.Error(), "no Keystone user") {
		t.Errorf("a service without a user: %v", err)
	}
	// A missing secret is named.
	delete(s.values, MemcacheSecret)
	if _, err := NewAuthToken(in, servicetest.Demo); err == nil || !strings.Contains(err.Error(), MemcacheSecret) {
		t.Errorf("without the memcache key: %v", err)
	}
}
