package workerrt

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/temporalclient"
)

// ReplayOptions are the settings of `<worker> replay`.
type ReplayOptions struct {
	Temporal     temporalclient.Config
	Paths        []string      // history files, or folders searched for *.json
	Live         bool          // also replay runs exported from the namespace
	ClosedWithin time.Duration // closed runs of the live namespace this recent are included
	Limit        int           // at most this many live runs
	Strict       bool          // drift in fixtures and closed runs fails the gate too
	BuildID      string        // the build under test; runs pinned to it must replay
}

// verdict is what one history's replay means for the build under test.
type verdict int

const (
	replayed        verdict = iota
	blocking                // a run this build would have to continue
	pinnedElsewhere         // an open run pinned to another build: it finishes there
	drift                   // a fixture or closed run: the code changed under it
	skipped                 // not a workflow type of this worker
)

type replayResult struct {
	source, workflowType string
	events               int
	verdict              verdict
	detail               string
}

// Replay is the replay gate: it replays recorded histories against this binary's
// workflow code and exits non-zero when a history this build would have to run does
// not replay. Results go to stdout.
func Replay(ctx context.Context, spec Spec, args []string, stderr io.Writer) error {
	o, err := ParseReplay(spec, args, stderr)
	if err != nil {
		return err
	}
	return RunReplay(ctx, spec, o, os.Stdout)
}

// ParseReplay reads the flags of `<worker> replay`.
func ParseReplay(spec Spec, args []string, stderr io.Writer) (ReplayOptions, error) {
	o := ReplayOptions{}
	fs := flag.NewFlagSet(spec.Name+" replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o.Temporal.RegisterFlags(fs)
	fs.BoolVar(&o.Live, "live", false, "also replay the open runs on task queue "+spec.TaskQueue+", and runs closed within --closed-within")
	fs.DurationVar(&o.ClosedWithin, "closed-within", 24*time.Hour, "with --live: closed runs this recent are replayed too")
	fs.IntVar(&o.Limit, "limit", 1000, "with --live: at most this many runs")
	fs.BoolVar(&o.Strict, "strict", false, "fail on drift too: a committed fixture or a closed run that no longer replays")
	fs.StringVar(&o.BuildID, "build-id", "", "with --live, the build under test: live runs pinned to it must replay (default: this binary's build ID)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: %s replay [flags] [HISTORY.json|DIR ...]

Replays recorded histories against this binary's workflow code, before the build
takes traffic. Files are JSON histories (as 'temporal workflow show -o json' writes
them); folders are searched for *.json. With --live, runs on %s are exported
from the namespace and replayed as well.

The gate fails (exit 1) when a history this build would have to continue does not
replay: an open run that is unversioned, auto-upgrade, or pinned to this build. An open
run pinned to another build is reported but does not fail the gate: it finishes on
the build that started it. A fixture or closed run that no longer replays is reported
as drift, and fails the gate only with --strict.

Flags:
`, spec.Name, spec.TaskQueue)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, usageError{err}
	}
	o.Paths = fs.Args()
	switch {
	case spec.Workflows == nil:
		return o, usageError{fmt.Errorf("%s registers no workflows: nothing to replay", spec.Name)}
	case len(o.Paths) == 0 && !o.Live:
		return o, usageError{errors.New("nothing to replay: give history files or folders, or --live")}
	case o.Limit < 1:
		return o, usageError{fmt.Errorf("--limit: expected at least 1, got %d", o.Limit)}
	case o.ClosedWithin < 0:
		return o, usageError{fmt.Errorf("--closed-within: expected a positive duration, got %s", o.ClosedWithin)}
	}
	if o.Live && o.BuildID == "" {
		o.BuildID = DefaultBuildID()
	}
	if o.BuildID != "" {
		if err := checkBuildID(o.BuildID); err != nil {
			return o, usageError{err}
		}
	}
	return o, nil
}

// typeSet records the workflow types a replayer knows.
type typeSet struct {
	worker.WorkflowReplayer
	names map[string]bool
}

func (t *typeSet) RegisterWorkflowWithOptions(w any, o workflow.RegisterOptions) {
	t.names[o.Name] = true
	t.WorkflowReplayer.RegisterWorkflowWithOptions(w, o)
}

// RunReplay replays every history and prints one line each, then a summary.
func RunReplay(ctx context.Context, spec Spec, o ReplayOptions, out io.Writer) error {
	// Live histories are encrypted when the codec is on; fixtures are plain, which the
	// codec's converter reads as they are.
	dc, err := o.Temporal.DataConverter()
	if err != nil {
		return err
	}
	replayer, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{DataConverter: dc})
	if err != nil {
		return err
	}
	r := &typeSet{WorkflowReplayer: replayer, names: map[string]bool{}}
	registerWorkflows(spec, r)
	quiet := sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))
	var results []replayResult
	for _, p := range o.Paths {
		res, err := replayPath(r, quiet, p)
		if err != nil {
			return err
		}
		results = append(results, res...)
	}
	if o.Live {
		res, err := replayLive(ctx, spec, o, r, quiet)
		if err != nil {
			return err
		}
		results = append(results, res...)
	}
	return report(out, results, o.Strict)
}

func replayPath(r *typeSet, logger sdklog.Logger, path string) ([]replayResult, error) {
	var files []string
	err := filepath.WalkDir(path, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".json") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("history %s: %w", path, err)
	}
	sort.Strings(files)
	var out []replayResult
	for _, f := range files {
		h, err := readHistory(f)
		if err != nil {
			return nil, fmt.Errorf("history %s: not a JSON workflow history: %w", f, err)
		}
		out = append(out, replayOne(r, logger, "fixture "+f, h, drift))
	}
	return out, nil
}

func readHistory(path string) (*historypb.History, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return client.HistoryFromJSON(f, client.HistoryJSONOptions{})
}

// replayOne replays h; a failure gets the verdict onFailure.
func replayOne(r *typeSet, logger sdklog.Logger, source string, h *historypb.History, onFailure verdict) replayResult {
	res := replayResult{source: source, events: len(h.GetEvents())}
	if res.events > 0 {
		res.workflowType = h.Events[0].GetWorkflowExecutionStartedEventAttributes().GetWorkflowType().GetName()
	}
	if !r.names[res.workflowType] {
		res.verdict, res.detail = skipped, "not a workflow type of this worker"
		return res
	}
	if err := r.ReplayWorkflowHistory(logger, h); err != nil {
		res.verdict, res.detail = onFailure, err.Error()
	}
	return res
}

func replayLive(ctx context.Context, spec Spec, o ReplayOptions, r *typeSet, logger sdklog.Logger) ([]replayResult, error) {
	c, err := temporalclient.Dial(ctx, o.Temporal, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	since := time.Now().Add(-o.ClosedWithin).UTC().Format(time.RFC3339)
	query := fmt.Sprintf(`TaskQueue = %q AND (ExecutionStatus = "Running" OR CloseTime > %q)`, spec.TaskQueue, since)
	var out []replayResult
	var token []byte
	for len(out) < o.Limit {
		page, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, NextPageToken: token, PageSize: 100})
		if err != nil {
			return nil, fmt.Errorf("list runs on %s: %w", spec.TaskQueue, err)
		}
		for _, ex := range page.GetExecutions() {
			if len(out) == o.Limit {
				break
			}
			res, err := replayExecution(ctx, c, r, logger, o.BuildID, ex)
			if err != nil {
				return nil, err
			}
			out = append(out, res)
		}
		if token = page.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	return out, nil
}

func replayExecution(ctx context.Context, c client.Client, r *typeSet, logger sdklog.Logger, build string, ex *workflowpb.WorkflowExecutionInfo) (replayResult, error) {
	id, runID := ex.GetExecution().GetWorkflowId(), ex.GetExecution().GetRunId()
	source := "live " + id + "/" + runID
	onFailure, note := drift, "closed"
	if ex.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		// Visibility does not carry versioning; the run's own record does.
		d, err := c.DescribeWorkflowExecution(ctx, id, runID)
		if err != nil {
			return replayResult{}, fmt.Errorf("describe %s: %w", source, err)
		}
		onFailure, note = runsWhere(d.GetWorkflowExecutionInfo().GetVersioningInfo(), build)
	}
	it := c.GetWorkflowHistory(ctx, id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var h historypb.History
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return replayResult{}, fmt.Errorf("history of %s: %w", source, err)
		}
		h.Events = append(h.Events, e)
	}
	res := replayOne(r, logger, source, &h, onFailure)
	if res.verdict != replayed && res.verdict != skipped {
		res.detail = note + ": " + res.detail
	}
	return res, nil
}

// runsWhere says what a failed replay of an open run means: a run pinned (by its
// behaviour or an override) to another build finishes there; any other run may be
// dispatched to this build once it is current.
func runsWhere(v *workflowpb.WorkflowExecutionVersioningInfo, build string) (verdict, string) {
	pinned := v.GetBehavior() == enumspb.VERSIONING_BEHAVIOR_PINNED
	version := v.GetDeploymentVersion()
	if o := v.GetVersioningOverride(); o != nil {
		if p := o.GetPinned(); p != nil {
			pinned, version = true, p.GetVersion()
		} else if o.GetAutoUpgrade() {
			pinned = false
		}
	}
	if pinned && version.GetBuildId() != build {
		return pinnedElsewhere, fmt.Sprintf("open, pinned to %s.%s, where it finishes", version.GetDeploymentName(), version.GetBuildId())
	}
	if pinned {
		return blocking, "open, pinned to this build"
	}
	return blocking, "open and not pinned: it would continue on this build"
}

// printResults prints one line per history, and its detail when it did not replay.
func printResults(out io.Writer, results []replayResult) {
	for _, r := range results {
		label := map[verdict]string{replayed: "ok", blocking: "FAIL", pinnedElsewhere: "PINNED", drift: "DRIFT", skipped: "skip"}[r.verdict]
		fmt.Fprintf(out, "%-6s %s  %s  %d events", label, r.source, r.workflowType, r.events)
		if r.detail != "" {
			fmt.Fprintf(out, "\n       %s", r.detail)
		}
		fmt.Fprintln(out)
	}
}

// report prints the results and returns an error when the gate fails.
func report(out io.Writer, results []replayResult, strict bool) error {
	counts := map[verdict]int{}
	for _, r := range results {
		counts[r.verdict]++
	}
	printResults(out, results)
	printSets(out, results)
	fmt.Fprintf(out, "replay: %d histories: %d replayed, %d fail, %d pinned to other builds, %d drift, %d skipped\n",
		len(results), counts[replayed], counts[blocking], counts[pinnedElsewhere], counts[drift], counts[skipped])
	switch {
	case counts[blocking] > 0:
		return fmt.Errorf("replay gate failed: %d open runs this build would continue do not replay", counts[blocking])
	case strict && counts[drift] > 0:
		return fmt.Errorf("replay gate failed (--strict): %d histories no longer replay", counts[drift])
	case counts[replayed] == 0 && counts[pinnedElsewhere] == 0 && counts[drift] == 0:
		return errors.New("replay gate failed: no history of this worker's workflow types was found")
	}
	return nil
}

// printSets names each fixture set (the folder of its histories) with how many of
// its histories of this worker's types replayed, so a gate's log says what it proved.
func printSets(out io.Writer, results []replayResult) {
	type tally struct{ replayed, of int }
	sets := map[string]*tally{}
	var names []string
	for _, r := range results {
		path, ok := strings.CutPrefix(r.source, "fixture ")
		if !ok || r.verdict == skipped {
			continue
		}
		dir := filepath.Dir(path)
		if sets[dir] == nil {
			sets[dir] = &tally{}
			names = append(names, dir)
		}
		sets[dir].of++
		if r.verdict == replayed {
			sets[dir].replayed++
		}
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(out, "set    %s  %d of %d replayed\n", n, sets[n].replayed, sets[n].of)
	}
}
