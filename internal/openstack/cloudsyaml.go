package openstack

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"

	"go.yaml.in/yaml/v3"
)

// Cloud is one entry of a clouds.yaml.
type Cloud struct {
	// Name is the entry's key: `openstack --os-cloud NAME`.
	Name string
	Credentials
	// CACert is the path of the CA file clients verify the endpoint
	// with; "" for an endpoint without TLS or one the system's CAs
	// trust. It must be absolute: both the openstack client and
	// gophercloud read a relative one from the current directory, not
	// from the file's.
	CACert string
}

// The clouds.yaml layout, in the order the openstack client's
// documentation writes it.
type cloudsFile struct {
	Clouds yaml.Node `yaml:"clouds"`
}

type cloudEntry struct {
	Auth               authEntry `yaml:"auth"`
	AuthType           string    `yaml:"auth_type"`
	RegionName         string    `yaml:"region_name,omitempty"`
	Interface          string    `yaml:"interface,omitempty"`
	IdentityAPIVersion int       `yaml:"identity_api_version"`
	CACert             string    `yaml:"cacert,omitempty"`
}

type authEntry struct {
	AuthURL           string `yaml:"auth_url"`
	Username          string `yaml:"username"`
	Password          string `yaml:"password"`
	ProjectName       string `yaml:"project_name"`
	UserDomainName    string `yaml:"user_domain_name"`
	ProjectDomainName string `yaml:"project_domain_name"`
}

// CloudsYAML renders a clouds.yaml with the clouds given, in that order,
// under a comment (each line prefixed with "# "). The result holds
// passwords: write it with mode 0600.
func CloudsYAML(comment []string, cls ...Cloud) ([]byte, error) {
	if len(cls) == 0 {
		return nil, errors.New("a clouds.yaml needs a cloud")
	}
	m := yaml.Node{Kind: yaml.MappingNode}
	seen := map[string]bool{}
	for _, cl := range cls {
		switch {
		case cl.Name == "":
			return nil, errors.New("a cloud without a name")
		case seen[cl.Name]:
			return nil, fmt.Errorf("cloud %s appears twice", cl.Name)
		case cl.CACert != "" && !filepath.IsAbs(cl.CACert):
			return nil, fmt.Errorf("cloud %s: cacert %s is not an absolute path", cl.Name, cl.CACert)
		}
		seen[cl.Name] = true
		var v yaml.Node
		err := v.Encode(cloudEntry{
			Auth: authEntry{AuthURL: cl.AuthURL, Username: cl.Username, Password: cl.Password,
				ProjectName: cl.Project, UserDomainName: cl.UserDomain, ProjectDomainName: cl.ProjectDomain},
			AuthType: "password", RegionName: cl.Region, Interface: cl.Interface,
			IdentityAPIVersion: 3, CACert: cl.CACert,
		})
		if err != nil {
			return nil, fmt.Errorf("cloud %s: %w", cl.Name, err)
		}
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: cl.Name}, &v)
	}
	var b bytes.Buffer
	for _, line := range comment {
		if line == "" {
			b.WriteString("#\n")
		} else {
			b.WriteString("# " + line + "\n")
		}
	}
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(cloudsFile{Clouds: m}); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
