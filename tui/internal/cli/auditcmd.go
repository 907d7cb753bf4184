package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/matih/ops/tui/internal/audit"
)

// auditCmd checks an audit log's chain: `matih audit verify [FILE]`.
func (a *App) auditCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "the audit log (verify)", Args: noArgs}
	verify := &cobra.Command{Use: "verify [FILE]", Short: "check that no line of the audit log was changed, removed or inserted (default: --audit-log)",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usagef("%s takes at most one file", cmd.CommandPath())
			}
			return nil
		},
		RunE: func(_ *cobra.Command, args []string) error {
			path := a.AuditPath
			if len(args) == 1 {
				path = args[0]
			}
			f, err := os.Open(path)
			if err != nil {
				return usagef("audit verify: %v", err)
			}
			defer f.Close()
			n, err := audit.Verify(f)
			if a.Output == "json" {
				v := map[string]any{"file": path, "lines": n, "ok": err == nil}
				if err != nil {
					v["error"] = err.Error()
				}
				if jerr := a.json(v); jerr != nil {
					return jerr
				}
			}
			if err != nil {
				return fmt.Errorf("%w: %s: %v", errOutcome, path, err)
			}
			if a.Output != "json" {
				fmt.Fprintf(a.Out, "%s: %d lines, chain intact\n", path, n)
			}
			return nil
		}}
	cmd.AddCommand(verify)
	return cmd
}
