package cli

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTheREADMEListsEverySubcommandAndFlag keeps tui/README.md's subcommand table in
// step with the commands: every subcommand has a row, every row names a subcommand,
// and every flag a row shows is one its command takes.
func TestTheREADMEListsEverySubcommandAndFlag(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	rows := map[string]string{} // subcommand: its row's usage cell
	for _, m := range regexp.MustCompile("(?m)^\\| `matih ([a-z]+)([^`]*)`").FindAllStringSubmatch(string(raw), -1) {
		rows[m[1]] = m[2]
	}
	root := (&App{}).Root()
	var commands []string
	for _, c := range root.Commands() {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			continue
		}
		commands = append(commands, c.Name())
		usage, ok := rows[c.Name()]
		if !assert.True(t, ok, "README has no row for `matih %s`", c.Name()) {
			continue
		}
		for _, f := range regexp.MustCompile(`--([a-z][a-z-]*)`).FindAllStringSubmatch(usage, -1) {
			assert.True(t, takesFlag(c, f[1]), "README shows `matih %s --%s`, which the command does not take", c.Name(), f[1])
		}
	}
	sort.Strings(commands)
	for name := range rows {
		assert.Contains(t, commands, name, "README lists `matih %s`, which is no subcommand (have %s)", name, strings.Join(commands, ", "))
	}
}

// takesFlag tells whether the command, or one of its subcommands, takes the flag.
func takesFlag(c *cobra.Command, name string) bool {
	if c.Flags().Lookup(name) != nil || c.InheritedFlags().Lookup(name) != nil || c.PersistentFlags().Lookup(name) != nil {
		return true
	}
	for _, sub := range c.Commands() {
		if takesFlag(sub, name) {
			return true
		}
	}
	return false
}
