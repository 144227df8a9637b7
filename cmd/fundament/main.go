// Command fundament deploys and operates a sovereign cloud from one
// declarative configuration repository. All logic lives in internal/cli.
package main

import (
	"os"

	"github.com/fundament-cloud/fundament/internal/cli"
)

func main() {
	os.Exit(cli.Execute(os.Args[1:], os.Stdout, os.Stderr))
}
