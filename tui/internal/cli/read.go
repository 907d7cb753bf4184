package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/tui/internal/data"
	"github.com/matih/ops/tui/internal/present"
	"github.com/matih/ops/tui/internal/sanitize"
)

// Version is set at build time with -ldflags "-X github.com/matih/ops/tui/internal/cli.Version=...".
var Version = "dev"

func (a *App) versionCmd() *cobra.Command {
	return &cobra.Command{Use: "version", Short: "print the matih version", Args: noArgs,
		RunE: func(*cobra.Command, []string) error {
			v := map[string]string{"version": Version, "go": runtime.Version()}
			if bi, ok := debug.ReadBuildInfo(); ok {
				for _, s := range bi.Settings {
					if s.Key == "vcs.revision" {
						v["commit"] = s.Value
					}
				}
				for _, d := range bi.Deps {
					if d.Path == "go.temporal.io/sdk" {
						v["temporalSdk"] = d.Version
					}
				}
			}
			if a.Output == "json" {
				return a.json(v)
			}
			fmt.Fprintf(a.Out, "matih %s (%s, temporal sdk %s", v["version"], v["go"], v["temporalSdk"])
			if c := v["commit"]; c != "" {
				fmt.Fprintf(a.Out, ", commit %.12s", c)
			}
			fmt.Fprintln(a.Out, ")")
			return nil
		}}
}

func (a *App) pingCmd() *cobra.Command {
	return &cobra.Command{Use: "ping", Short: "check the server: version, namespace and the queues' pollers", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			src, err := a.Source(cmd.Context())
			if err != nil {
				return err
			}
			info, err := src.Ping(cmd.Context())
			if err != nil {
				return err
			}
			if a.Output == "json" {
				return a.json(info)
			}
			fmt.Fprintf(a.Out, "server   %s (Temporal %s)\nnamespace %s\n", info.Address, sanitize.Text(info.ServerVersion), sanitize.Text(info.Namespace))
			a.queueTable(info.Queues)
			return nil
		}}
}

func (a *App) queuesCmd() *cobra.Command {
	return &cobra.Command{Use: "queues", Short: "the fleet: queues (pollers, backlog, running runs) and worker deployments (versions, drainage, pinned runs)", Args: noArgs,
		Long: "Every MATIH queue and any queue running workflows wait on, with its pollers, backlog and running\n" +
			"workflows; a queue with running workflows and no live poller (silent for 3 minutes) is marked '!'.\n" +
			"Then each worker deployment: current and ramping build, and each version's pollers, drainage and\n" +
			"open runs pinned to it. -o json prints {queues, deployments}.",
		RunE: func(cmd *cobra.Command, _ []string) error {
			src, err := a.Source(cmd.Context())
			if err != nil {
				return err
			}
			f, err := data.LoadFleet(cmd.Context(), src)
			if err != nil {
				return err
			}
			if a.Output == "json" {
				return a.json(f)
			}
			for _, l := range present.Fleet(f, time.Now()) {
				fmt.Fprintln(a.Out, l.Text)
			}
			return nil
		}}
}

func (a *App) queueTable(qs []data.Queue) {
	tw := tabwriter.NewWriter(a.Out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "QUEUE\tWORKFLOW POLLERS\tACTIVITY POLLERS\tWORKERS")
	for _, q := range qs {
		ids := map[string]bool{}
		var names []string
		now := time.Now()
		for _, p := range append(append([]data.Poller{}, q.WorkflowPollers...), q.ActivityPollers...) {
			if !ids[p.Identity] {
				ids[p.Identity] = true
				name := sanitize.Text(p.Identity)
				if p.BuildID != "" {
					name += " build " + sanitize.Text(p.BuildID)
				}
				if age := now.Sub(p.LastAccessTime); !p.LastAccessTime.IsZero() && age >= data.PollerGone {
					name += fmt.Sprintf(" (gone: last poll %s ago)", age.Round(time.Second))
				}
				names = append(names, name)
			}
		}
		w := strings.Join(names, ", ")
		if w == "" || len(data.IdleQueues([]data.Queue{q}, now)) > 0 {
			w = "NO LIVE WORKER " + w
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", q.Name, len(q.WorkflowPollers), len(q.ActivityPollers), w)
	}
	tw.Flush()
}

func (a *App) lsCmd() *cobra.Command {
	var query, st string
	var limit int
	cmd := &cobra.Command{Use: "ls", Short: "list workflows from visibility", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sq, ok := data.StatusQuery(st)
			if !ok {
				return usagef("--status: expected running, awaiting, failed, completed or all, got %q", st)
			}
			if limit < 0 {
				return usagef("--limit: expected 0 (every row) or more, got %d", limit)
			}
			src, err := a.Source(cmd.Context())
			if err != nil {
				return err
			}
			err = a.streamRows(cmd.Context(), src, data.And(sq, query), limit)
			if err != nil && query != "" && data.IsInvalidQuery(err) {
				return fmt.Errorf("--query: %w", err)
			}
			return err
		}}
	cmd.Flags().StringVarP(&query, "query", "q", "", "visibility query, e.g. \"PipelinePhase = 'AWAITING_APPROVAL'\"")
	cmd.Flags().StringVarP(&st, "status", "s", "all", "running, awaiting, failed, completed or all")
	cmd.Flags().IntVar(&limit, "limit", 50, "most rows to print (0 = all)")
	return cmd
}

// rowTable writes rows as an aligned table, with the header line when header is set.
func rowTable(w io.Writer, rows []data.Row, now time.Time, header bool) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	if header {
		fmt.Fprintln(tw, "ID\tTYPE\tSTATUS\tPHASE\tPROGRESS\tSTARTED\tDURATION")
	}
	for _, r := range rows {
		prog := "-"
		if r.Progress != nil {
			prog = fmt.Sprintf("%3.0f%%", *r.Progress*100)
		}
		end := now
		if r.ClosedAt != nil {
			end = *r.ClosedAt
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", sanitize.Text(r.WorkflowID), sanitize.Text(r.Type), sanitize.Text(r.Status),
			present.Dash(sanitize.Text(r.Phase)), prog, r.StartedAt.Local().Format("2006-01-02 15:04:05"), status.FormatDuration(end.Sub(r.StartedAt)))
	}
	tw.Flush()
}

func (a *App) statusCmd() *cobra.Command {
	return &cobra.Command{Use: "status ID", Short: "the status document of a workflow (latest run)", Args: oneID,
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := a.Source(cmd.Context())
			if err != nil {
				return err
			}
			doc, err := src.Status(cmd.Context(), args[0], "")
			if err != nil {
				return err
			}
			if a.Output == "json" {
				return a.json(doc)
			}
			printDoc(a.Out, doc)
			return nil
		}}
}

func (a *App) json(v any) error {
	enc := json.NewEncoder(a.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// errOutcome marks a watched workflow that ended other than completed.
var errOutcome = errors.New("workflow did not complete")
