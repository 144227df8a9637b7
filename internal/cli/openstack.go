package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fundament-cloud/fundament/internal/components/keystone"
	"github.com/fundament-cloud/fundament/internal/endpoint"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/openstack"
	"github.com/fundament-cloud/fundament/internal/secrets"
)

func newOpenStackCmd(g *globals) *cobra.Command {
	var identity string
	cmd := &cobra.Command{
		Use:   "openstack",
		Short: "Work with the cloud's OpenStack: clouds.yaml, Keystone's keys",
		Long: `Commands for the OpenStack services Fundament deploys: a clouds.yaml for the
cloud's administrator, and the rotation of Keystone's Fernet and credential keys
(secrets of the repository that the next apply writes to every Keystone host).`,
		Example: examples(
			"fundament openstack clouds-yaml",
			"fundament openstack rotate-keys fernet"),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.PersistentFlags().StringVar(&identity, "identity", "", "age identity `FILE` (default $FUNDAMENT_AGE_IDENTITY or ~/.config/fundament/<cloud>.agekey)")
	open := func() (*model.Cloud, *secrets.Store, error) {
		c, err := loadValid(g)
		if err != nil {
			return nil, nil, err
		}
		if !keystone.Enabled(c) {
			return nil, nil, errors.New("this cloud runs no Keystone (services: openstack.keystone.enabled is false)")
		}
		st, err := secrets.Open(secrets.Options{RepoDir: g.repo, CloudName: c.Spec.Name, IdentityFile: identity})
		return c, st, err
	}
	cmd.AddCommand(newCloudsYAMLCmd(g, open), newRotateKeysCmd(g, open))
	return cmd
}

type openFunc func() (*model.Cloud, *secrets.Store, error)

func newCloudsYAMLCmd(g *globals, open openFunc) *cobra.Command {
	var out string
	var force bool
	cmd := &cobra.Command{
		Use:   "clouds-yaml",
		Short: "Write a clouds.yaml for the cloud's administrator",
		Long: `clouds-yaml writes a clouds.yaml with one cloud, named after the cloud: the
administrator (user admin, project admin, domain Default) at the public identity
endpoint, the first region, interface public. The CA that signed the public
endpoint's certificate is written next to it (<cloud>-ca.pem) and named as cacert.
Both the openstack client and gophercloud read it:

  openstack --os-cloud <cloud> token issue

The file holds the administrator's password: it is written with mode 0600, never
into the configuration repository, and the password is not printed. An existing
file is replaced only with --force.`,
		Example: examples(
			"fundament openstack clouds-yaml",
			"fundament openstack clouds-yaml --out ./clouds.yaml --force",
			"OS_CLIENT_CONFIG_FILE=./clouds.yaml openstack --os-cloud lab endpoint list"),
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			c, st, err := open()
			if err != nil {
				return err
			}
			w, err := writeCloudsYAML(g, c, st, out, force)
			if err != nil {
				return err
			}
			if g.json() {
				return printJSON(g.stdout, w)
			}
			fmt.Fprintf(g.stdout, "wrote %s (cloud %s: %s at %s)\n", w.File, w.Cloud, keystone.AdminUser, w.AuthURL)
			if w.CACert != "" {
				fmt.Fprintf(g.stdout, "wrote %s (the CA of the public endpoint)\n", w.CACert)
			}
			if !w.Default {
				fmt.Fprintf(g.stdout, "use: OS_CLIENT_CONFIG_FILE=%s openstack --os-cloud %s token issue\n", w.File, w.Cloud)
			} else {
				fmt.Fprintf(g.stdout, "use: openstack --os-cloud %s token issue\n", w.Cloud)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "the clouds.yaml `FILE` to write (default $XDG_CONFIG_HOME/openstack/clouds.yaml, i.e. ~/.config/openstack/clouds.yaml)")
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing file")
	return offers(cmd, "json")
}

// written is what clouds-yaml wrote (its JSON output).
type written struct {
	File    string `json:"file"`
	CACert  string `json:"cacert,omitempty"`
	Cloud   string `json:"cloud"`
	AuthURL string `json:"auth_url"`
	// Default: the openstack client finds the file without
	// OS_CLIENT_CONFIG_FILE.
	Default bool `json:"default_location"`
}

// defaultCloudsYAML is where the openstack client and gophercloud look
// for a user's clouds.yaml.
func defaultCloudsYAML() (string, error) {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("no --out and no home directory: %w", err)
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "openstack", "clouds.yaml"), nil
}

func writeCloudsYAML(g *globals, c *model.Cloud, st *secrets.Store, out string, force bool) (written, error) {
	def, err := defaultCloudsYAML()
	if err != nil && out == "" {
		return written{}, err
	}
	if out == "" {
		out = def
	}
	out, err = filepath.Abs(out)
	if err != nil {
		return written{}, err
	}
	w := written{File: out, Cloud: c.Spec.Name, Default: out == def}
	repo, err := filepath.Abs(g.repo)
	if err != nil {
		return w, err
	}
	inside, err := secrets.InsideRepo(repo, out)
	if err != nil {
		return w, fmt.Errorf("%s: %w", out, err)
	}
	if inside {
		return w, fmt.Errorf("%s is inside the configuration repository %s: the administrator's password does not belong there; choose another --out", out, repo)
	}
	if _, err := os.Lstat(out); err == nil && !force {
		return w, fmt.Errorf("%s exists; --force replaces it (its other clouds too)", out)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return w, err
	}
	password, err := st.Get(keystone.AdminSecret)
	if err != nil {
		return w, err
	}
	ca, err := endpoint.CACertificate(c, g.repo, st.Get)
	if err != nil {
		return w, err
	}
	dir := filepath.Dir(out)
	if ca != nil {
		w.CACert = filepath.Join(dir, keystone.CAFileName(c))
	}
	cloud, err := keystone.AdminCloud(c, endpoint.Public, password, w.CACert)
	if err != nil {
		return w, err
	}
	w.AuthURL = cloud.AuthURL
	data, err := openstack.CloudsYAML([]string{
		"Written by fundament openstack clouds-yaml: the administrator of cloud " + c.Spec.Name + ".",
		"It holds the administrator's password: keep it to yourself (mode 0600).",
		"openstack --os-cloud " + c.Spec.Name + " token issue",
	}, cloud)
	if err != nil {
		return w, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return w, err
	}
	if ca != nil {
		if err := secrets.WriteFileAtomic(w.CACert, ca, 0o644); err != nil {
			return w, err
		}
	}
	return w, secrets.WriteFileAtomic(out, data, 0o600)
}

func newRotateKeysCmd(g *globals, open openFunc) *cobra.Command {
	var names []string
	for _, r := range keystone.KeyRepos {
		names = append(names, r.Name)
	}
	return offers(&cobra.Command{
		Use:   "rotate-keys " + strings.Join(names, "|"),
		Short: "Rotate Keystone's Fernet or credential keys (the next apply distributes them)",
		Long: `rotate-keys rotates a Keystone key repository kept in the repository's secrets the
way keystone-manage fernet_rotate rotates a directory: the staged key 0 becomes
the primary key under the next index, a new key 0 is staged, and the oldest keys
beyond three are dropped. Nothing changes on the hosts until the next
'fundament apply', which writes the keys to every Keystone host.

This is safe while Keystone serves: every host already has the new primary
key (it was the staged key everywhere since the previous apply), so tokens a
host encrypts with it are valid on hosts not yet updated, and the previous
primary stays as a secondary key. Rotate once per apply, and not more often
than token lifetime allows (see docs/keystone.md). After a credential rotation
the apply re-encrypts the stored credentials with the new primary key; rotate
credential keys again only after that apply.`,
		Example: examples(
			"fundament openstack rotate-keys fernet && fundament apply",
			"fundament openstack rotate-keys credential"),
		Args:      cobra.ExactArgs(1),
		ValidArgs: names,
		RunE: func(_ *cobra.Command, args []string) error {
			repo, ok := keystone.LookupKeyRepo(args[0])
			if !ok {
				return &exitError{code: ExitUsage, err: fmt.Errorf("no key repository %q: use %s", args[0], strings.Join(names, " or "))}
			}
			_, st, err := open()
			if err != nil {
				return err
			}
			indices, err := repo.Indices(g.repo)
			if err != nil {
				return err
			}
			rot, err := repo.Rotate(st, indices)
			if err != nil {
				return err
			}
			if g.json() {
				purged := make([]string, len(rot.Purge))
				for i, x := range rot.Purge {
					purged[i] = repo.Secret(x)
				}
				keys := make([]string, len(rot.After))
				for i, x := range rot.After {
					keys[i] = repo.Secret(x)
				}
				return printJSON(g.stdout, rotateKeysJSON{Repository: repo.Name, Primary: repo.Secret(rot.Promote),
					Staged: repo.Secret(0), Purged: nonNil(purged), Keys: nonNil(keys)})
			}
			fmt.Fprintf(g.stdout, "%s (staged) is now %s, the primary key; a new %s is staged\n", repo.Secret(0), repo.Secret(rot.Promote), repo.Secret(0))
			for _, x := range rot.Purge {
				fmt.Fprintf(g.stdout, "purged %s\n", repo.Secret(x))
			}
			fmt.Fprintln(g.stdout, "run 'fundament apply' to write the keys to every Keystone host")
			if repo.Name == keystone.CredentialKeys.Name {
				fmt.Fprintln(g.stdout, "that apply re-encrypts the stored credentials with the new primary key: rotate the credential keys again only after it")
			}
			return nil
		},
	}, "json")
}
