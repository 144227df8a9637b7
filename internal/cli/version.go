package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/fundament-cloud/fundament/internal/release"
)

// Version is set at build time: -ldflags "-X .../internal/cli.Version=v1.2.3".
var Version = "dev"

type versionInfo struct {
	Version       string   `json:"version"`
	Commit        string   `json:"commit,omitempty"`
	Modified      bool     `json:"modified,omitempty"`
	Go            string   `json:"go"`
	Platform      string   `json:"platform"`
	DefaultStream string   `json:"default_release_stream"`
	Streams       []string `json:"release_streams"`
}

func currentVersion() versionInfo {
	v := versionInfo{
		Version:       Version,
		Go:            runtime.Version(),
		Platform:      runtime.GOOS + "/" + runtime.GOARCH,
		DefaultStream: release.Default(),
		Streams:       release.Streams(),
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Commit = s.Value
			case "vcs.modified":
				v.Modified = s.Value == "true"
			}
		}
	}
	return v
}

func newVersionCmd(g *globals) *cobra.Command {
	return offers(&cobra.Command{
		Use:     "version",
		Short:   "Print Fundament's version and the release streams it carries",
		Example: examples("fundament version", "fundament version -o json"),
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			v := currentVersion()
			if g.json() {
				return printJSON(g.stdout, v)
			}
			commit := v.Commit
			if len(commit) > 12 {
				commit = commit[:12]
			}
			if v.Modified {
				commit += "+modified"
			}
			fmt.Fprintf(g.stdout, "fundament %s", v.Version)
			if commit != "" {
				fmt.Fprintf(g.stdout, " (%s)", commit)
			}
			fmt.Fprintf(g.stdout, " %s %s\nrelease streams: %v (default %s)\n", v.Go, v.Platform, v.Streams, v.DefaultStream)
			return nil
		},
	}, "json")
}
