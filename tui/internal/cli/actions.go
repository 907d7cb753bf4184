package cli

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/tui/internal/audit"
	"github.com/matih/ops/tui/internal/data"
	"github.com/matih/ops/tui/internal/present"
	"github.com/matih/ops/tui/internal/sanitize"
)

// act runs one action: refuses it in read-only mode without calling the API, runs it
// otherwise, and appends the outcome to the audit log either way. The action is sent
// only once a line saying so is in the audit log.
func (a *App) act(ctx context.Context, action, workflowID, reason string, do func(data.Source) error) error {
	var err error
	log := &audit.Log{Path: a.AuditPath}
	intent := audit.Entry{Identity: a.Identity, Action: action, Workflow: workflowID, Reason: reason, Outcome: audit.Sending}
	if a.ReadOnly {
		why := "read-only mode"
		if a.ReadOnlyWhy != "" {
			why = a.ReadOnlyWhy
		}
		err = fmt.Errorf("%w: %s: %s not sent", data.ErrRefused, why, action)
	} else if aerr := log.Append(intent); aerr != nil {
		return fmt.Errorf("%s not sent: it could not be recorded first: %w", action, aerr)
	} else {
		var src data.Source
		if src, err = a.Source(ctx); err == nil {
			err = do(src)
		}
	}
	if aerr := log.Append(audit.Entry{Identity: a.Identity, Action: action, Workflow: workflowID, Reason: reason, Outcome: audit.Outcome(err)}); aerr != nil {
		fmt.Fprintln(a.Err, "matih: warning: "+aerr.Error())
	}
	return err
}

// ActionResult is what an action prints with -o json.
type ActionResult struct {
	Action     string `json:"action"`
	WorkflowID string `json:"workflowId"`
	Identity   string `json:"identity"`
	Outcome    string `json:"outcome"`
}

// done prints an action's outcome: the line, or with -o json the ActionResult.
func (a *App) done(action, id, line string) {
	if a.Output == "json" {
		_ = a.json(ActionResult{Action: action, WorkflowID: id, Identity: a.Identity, Outcome: "ok"})
		return
	}
	fmt.Fprintln(a.Out, sanitize.Text(line))
}

func (a *App) decideCmd(name string, approved bool) *cobra.Command {
	var reason string
	cmd := &cobra.Command{Use: name + " ID --reason R", Short: name + " a run waiting for approval (the `approval` update)", Args: oneID,
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(reason) == "" {
				return usagef("--reason is required: say why you %s this run", present.PastTense(name))
			}
			d := contract.ApprovalSignal{Approved: approved, Approver: a.Identity, Reason: reason}
			err := a.act(cmd.Context(), name, args[0], reason, func(s data.Source) error { return s.Approve(cmd.Context(), args[0], d) })
			if err == nil {
				a.done(name, args[0], present.PastTense(name)+" "+args[0]+" as "+a.Identity)
			}
			return err
		}}
	cmd.Flags().StringVarP(&reason, "reason", "r", "", "why (required; recorded in the workflow and the audit log)")
	return cmd
}

func (a *App) cancelCmd() *cobra.Command {
	var reason string
	var yes bool
	cmd := &cobra.Command{Use: "cancel ID --reason R [--yes]", Short: "cancel a run (it cleans up and stops)", Args: oneID,
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			if strings.TrimSpace(reason) == "" {
				return usagef("--reason is required")
			}
			if err := a.confirm("cancel", id, yes); err != nil {
				return err
			}
			sig := contract.CancelSignal{RequestedBy: a.Identity, Reason: reason}
			err := a.act(cmd.Context(), "cancel", id, reason, func(s data.Source) error { return s.Cancel(cmd.Context(), id, sig) })
			if err == nil {
				a.done("cancel", id, "cancellation requested for "+id)
			}
			return err
		}}
	cmd.Flags().StringVarP(&reason, "reason", "r", "", "why (required)")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation (required without a terminal)")
	return cmd
}

func (a *App) terminateCmd() *cobra.Command {
	var reason string
	var yes bool
	cmd := &cobra.Command{Use: "terminate ID --reason R [--yes]", Short: "terminate a run at once (no cleanup)", Args: oneID,
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			if strings.TrimSpace(reason) == "" {
				return usagef("--reason is required")
			}
			if err := a.confirm("terminate", id, yes); err != nil {
				return err
			}
			err := a.act(cmd.Context(), "terminate", id, reason, func(s data.Source) error { return s.Terminate(cmd.Context(), id, reason) })
			if err == nil {
				a.done("terminate", id, "terminated "+id)
			}
			return err
		}}
	cmd.Flags().StringVarP(&reason, "reason", "r", "", "why (required; recorded in history)")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation (required without a terminal)")
	return cmd
}

// confirm asks a person to type the workflow id (or its last 6 characters); without
// a terminal it insists on --yes.
func (a *App) confirm(action, id string, yes bool) error {
	if yes || a.ReadOnly {
		return nil
	}
	if !a.Interactive {
		return usagef("%s is destructive: pass --yes when no terminal is attached", action)
	}
	fmt.Fprintf(a.Err, "%s %s? type the workflow id or its last 6 characters to confirm: ", action, sanitize.Text(id))
	line, _ := bufio.NewReader(a.In).ReadString('\n')
	if !present.ConfirmMatches(id, strings.TrimSpace(line)) {
		return fmt.Errorf("%w: confirmation did not match; nothing sent", data.ErrRefused)
	}
	return nil
}
