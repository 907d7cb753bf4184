package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/matih/ops/shared/codec"
)

// codecCmd manages payload encryption keys: `matih codec new-key ID --file F` adds a
// key to a key file (created 0600), which becomes the encrypting key of every
// process that lists that file last in --codec-keys.
func (a *App) codecCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "codec", Short: "payload encryption keys (new-key, keys)", Args: noArgs}
	var file string
	newKey := &cobra.Command{Use: "new-key ID --file FILE", Short: "add a new AES-256 key, which then encrypts, to a key file (0600)",
		Long: "Appends `ID BASE64-KEY` to FILE (created 0600 when missing). Processes reading FILE through\n" +
			"--codec-keys or " + codec.EnvKeys + " encrypt with the file's last key and decrypt with every key,\n" +
			"so rotating is: new-key, restart the workers and consoles, and drop an old key only once no\n" +
			"history within the namespace's retention was written under it.",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("%s needs exactly one key id", cmd.CommandPath())
			}
			return nil
		},
		RunE: func(_ *cobra.Command, args []string) error { return a.addKey(file, args[0]) }}
	newKey.Flags().StringVar(&file, "file", "", "the key file to append to")
	keys := &cobra.Command{Use: "keys", Short: "list the key ids of --codec-keys (the encrypting one last), never the keys", Args: noArgs,
		RunE: func(*cobra.Command, []string) error {
			ring, err := a.Conn.CodecRing()
			switch {
			case err != nil:
				return usageError{err}
			case ring == nil:
				return usagef("no codec keys: pass --codec-keys FILE or set %s", codec.EnvKeys)
			case a.Output == "json":
				return a.json(map[string]any{"keyIds": ring.KeyIDs(), "encrypting": ring.KeyIDs()[len(ring.KeyIDs())-1]})
			}
			for _, id := range ring.KeyIDs() {
				fmt.Fprintln(a.Out, id)
			}
			return nil
		}}
	cmd.AddCommand(newKey, keys)
	return cmd
}

func (a *App) addKey(file, id string) error {
	if file == "" {
		return usagef("new-key: --file: the key file to append to is required")
	}
	line, err := codec.NewKey(id)
	if err != nil {
		return usagef("new-key: %v", err)
	}
	if _, err := os.Stat(file); err == nil {
		ring, err := codec.LoadRing(file)
		if err != nil {
			return usagef("new-key: %v", err) // never append to a file the ring would refuse
		}
		for _, have := range ring.KeyIDs() {
			if have == id {
				return usagef("new-key: %s has a key %q already: pick a new id", file, id)
			}
		}
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(file, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(line + "\n"); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(a.Err, "added key %s to %s; it encrypts once the processes reading the file restart\n", id, file)
	return nil
}
