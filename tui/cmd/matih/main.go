// Command matih is the MATIH operations console and its scriptable subcommands.
package main

import (
	"os"

	"github.com/matih/ops/tui/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
