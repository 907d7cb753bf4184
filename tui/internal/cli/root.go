// Package cli is the `matih` command line: the console (no subcommand) and its
// scriptable twins, with exit codes scripts can act on.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/matih/ops/shared/statusread"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/temporalclient"
	"github.com/matih/ops/tui/internal/api"
	"github.com/matih/ops/tui/internal/audit"
	"github.com/matih/ops/tui/internal/data"
	"github.com/matih/ops/tui/internal/identity"
	"github.com/matih/ops/tui/internal/present"
)

// Exit codes, documented in README.
const (
	ExitOK          = 0
	ExitError       = 1
	ExitUsage       = 2
	ExitNotFound    = 3
	ExitRefused     = 4
	ExitUnreachable = 5
)

// EnvReadOnly turns on read-only mode like --read-only.
const EnvReadOnly = "MATIH_READ_ONLY"

// App holds the global flags and the lazily dialled source.
type App struct {
	Conn     temporalclient.Config
	Output   string
	ReadOnly bool
	// ReadOnlyWhy says why, when the reason is not --read-only (an SSH read key).
	ReadOnlyWhy string
	AuditPath   string
	// GroupsPath is the approver groups file (--groups, MATIH_GROUPS).
	GroupsPath string

	In       io.Reader
	Out, Err io.Writer
	// Interactive reports whether a person is at the terminal (stdin and stdout TTYs).
	Interactive bool
	Identity    string

	src     *data.Temporal
	closeFn func()
}

type usageError struct{ error }

// EnvGroups names the approver groups file.
const EnvGroups = "MATIH_GROUPS"

// groups loads the approver groups file; nil when none is configured.
func (a *App) groups() (api.Groups, error) {
	if a.GroupsPath == "" {
		return nil, nil
	}
	g, err := api.LoadGroups(a.GroupsPath)
	if err != nil {
		return nil, usagef("--groups: %v", err)
	}
	return g, nil
}

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// Main runs the command line and returns the process exit code.
func Main(args []string, in io.Reader, out, errOut io.Writer) int {
	app := &App{In: in, Out: out, Err: errOut, Identity: identity.Current()}
	if f, ok := in.(*os.File); ok {
		o, ok2 := out.(*os.File)
		app.Interactive = ok2 && isatty.IsTerminal(f.Fd()) && isatty.IsTerminal(o.Fd())
	}
	root := app.Root()
	root.SetArgs(args)
	root.SetIn(in)
	root.SetOut(out)
	root.SetErr(errOut)
	err := root.ExecuteContext(context.Background())
	app.Close()
	if err != nil {
		printError(errOut, err, app.Output == "json" || app.Output == "jsonl")
	}
	return ExitCode(err)
}

// printError writes the one-line error, or with -o json {"error":{"code","message"}},
// so a script can tell failures apart without parsing prose.
func printError(w io.Writer, err error, asJSON bool) {
	msg := present.OneLine(err.Error())
	if !asJSON {
		fmt.Fprintln(w, "matih: "+msg)
		return
	}
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"code": ErrorCode(err), "exit": ExitCode(err), "message": msg}})
	fmt.Fprintln(w, string(b))
}

// ErrorCode names an error's class for JSON output.
func ErrorCode(err error) string {
	var ue usageError
	classes := []struct {
		err  error
		code string
	}{
		{data.ErrUnauthenticated, "unauthenticated"}, {data.ErrPermission, "permission_denied"},
		{data.ErrNamespace, "namespace_not_found"}, {temporalclient.ErrNamespaceNotFound, "namespace_not_found"},
		{data.ErrRateLimited, "rate_limited"}, {data.ErrInvalidQuery, "invalid_query"},
		{data.ErrUnreachable, "unreachable"}, {temporalclient.ErrUnreachable, "unreachable"},
		{data.ErrNotFound, "not_found"}, {data.ErrRefused, "refused"}, {errOutcome, "workflow_not_completed"},
	}
	if errors.As(err, &ue) {
		return "usage"
	}
	for _, c := range classes {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return "error"
}

// ExitCode maps an error to the documented exit codes.
func ExitCode(err error) int {
	var ue usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ue), errors.Is(err, data.ErrInvalidQuery):
		return ExitUsage
	case errors.Is(err, data.ErrUnreachable), errors.Is(err, temporalclient.ErrUnreachable), errors.Is(err, data.ErrRateLimited):
		return ExitUnreachable
	case errors.Is(err, data.ErrNotFound), errors.Is(err, temporalclient.ErrNamespaceNotFound), errors.Is(err, data.ErrNamespace):
		return ExitNotFound
	case errors.Is(err, data.ErrRefused), errors.Is(err, data.ErrUnauthenticated), errors.Is(err, data.ErrPermission):
		return ExitRefused
	case errors.Is(err, errOutcome):
		return ExitError
	}
	return ExitError
}

// Root builds the command tree.
func (a *App) Root() *cobra.Command {
	root := &cobra.Command{
		Use:   "matih",
		Short: "MATIH operations console: list, follow, approve, reject and cancel pipeline workflows",
		Long: "With no subcommand, matih opens the full-screen console. Subcommands are the same actions for scripts.\n" +
			"Exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 refused (read-only, validator said no), 5 server unreachable.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runConsole(cmd.Context())
		},
	}
	fs := flag.NewFlagSet("connection", flag.ContinueOnError)
	a.Conn.RegisterFlags(fs)
	pf := root.PersistentFlags()
	pf.AddGoFlagSet(fs)
	pf.StringVarP(&a.Output, "output", "o", "table", "output format: table, json, or jsonl (ls: one object per line)")
	var asJSON bool
	pf.BoolVar(&asJSON, "json", false, "same as -o json")
	pf.BoolVar(&a.ReadOnly, "read-only", os.Getenv(EnvReadOnly) == "1" || os.Getenv(EnvReadOnly) == "true", "refuse every action (env "+EnvReadOnly+"=1)")
	pf.StringVar(&a.AuditPath, "audit-log", audit.DefaultPath(), "append-only log of actions (env "+audit.EnvPath+")")
	pf.StringVar(&a.GroupsPath, "groups", os.Getenv(EnvGroups), "approver groups file: `group:NAME` in a pipeline's approvers becomes its members at start (env "+EnvGroups+")")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if asJSON {
			a.Output = "json"
		}
		switch a.Output {
		case "table", "json":
		case "jsonl":
			if cmd.Name() != "ls" {
				return usagef("--output jsonl: only ls writes one object per line; use -o json")
			}
		default:
			return usagef("--output: expected table, json or jsonl, got %q", a.Output)
		}
		return nil
	}
	root.AddCommand(a.versionCmd(), a.pingCmd(), a.lsCmd(), a.inboxCmd(), a.failuresCmd(), a.statusCmd(), a.watchCmd(), a.queuesCmd(),
		a.decideCmd("approve", true), a.decideCmd("reject", false), a.cancelCmd(), a.terminateCmd(), a.startCmd(), a.serveCmd(), a.codecCmd(), a.authCmd(), a.auditCmd(), a.backfillCmd(), a.rerunCmd(),
		&cobra.Command{Use: "console", Short: "open the full-screen console (the default)", Args: noArgs,
			RunE: func(cmd *cobra.Command, _ []string) error { return a.runConsole(cmd.Context()) }})
	return root
}

// Source dials once and returns the data source every command uses.
func (a *App) Source(ctx context.Context) (*data.Temporal, error) {
	if a.src != nil {
		return a.src, nil
	}
	c, err := temporalclient.Dial(ctx, a.Conn, nil, func(o *client.Options) { o.Identity = a.Identity })
	if err != nil {
		return nil, err
	}
	prof, _ := a.Conn.LoadProfile()
	dc, _ := a.Conn.DataConverter() // Dial has read the codec keys already
	a.src = &data.Temporal{Client: c, Namespace: prof.Namespace, Address: prof.Address, Identity: a.Identity,
		Folds: statusread.NewCache(0, dc), DataConverter: dc}
	a.closeFn = c.Close
	return a.src, nil
}

// Close releases the client.
func (a *App) Close() {
	if a.closeFn != nil {
		a.closeFn()
		a.closeFn, a.src = nil, nil
	}
}

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("%s takes no arguments, got %q", cmd.CommandPath(), strings.Join(args, " "))
	}
	return nil
}

// workflowIDRe is what a workflow ID argument may be: 1-1000 printable ASCII
// characters, Temporal's length limit and all the client can send (it carries the
// ID in a gRPC header too, which takes printable ASCII only).
var workflowIDRe = regexp.MustCompile(`^[\x20-\x7e]{1,1000}$`)

func oneID(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return usagef("%s needs exactly one workflow ID", cmd.CommandPath())
	}
	if !workflowIDRe.MatchString(args[0]) {
		return usagef("%s: the workflow ID: expected 1-1000 printable ASCII characters, got %q", cmd.CommandPath(), contract.Trunc(args[0], 128))
	}
	return nil
}
