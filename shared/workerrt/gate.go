package workerrt

// The rollout gate as a workflow: every worker build registers RolloutGateWorkflow
// (shared/rolloutgate) and its replay activity, and `<worker> gate` starts it
// pinned to a build and waits for its verdict. The Temporal Worker Controller
// starts the same workflow as its rollout gate; scripts/rollout.sh runs `gate`.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"gopkg.in/yaml.v3"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/rolloutgate"
	"github.com/matih/ops/shared/temporalclient"
)

// registerWorkflows registers the worker's own workflow types and the gate.
func registerWorkflows(spec Spec, reg worker.WorkflowRegistry) {
	if spec.Workflows != nil {
		spec.Workflows(reg)
	}
	rolloutgate.Register(reg)
}

// gateActivity is the gate's replay, run by a worker of the build it judges: its
// own workflow code replays the open runs of its task queue.
type gateActivity struct {
	spec   Spec
	client client.Client
	dc     converter.DataConverter
	build  string
}

// ReplayOpenRuns replays every open run on the worker's task queue (up to
// in.Limit) against this build, and says of each whether this build could
// continue it.
func (g *gateActivity) ReplayOpenRuns(ctx context.Context, in contract.RolloutGateInput) (contract.RolloutGateResult, error) {
	if in.Limit <= 0 {
		in.Limit = contract.DefaultGateLimit
	}
	replayer, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{DataConverter: g.dc})
	if err != nil {
		return contract.RolloutGateResult{}, err
	}
	r := &typeSet{WorkflowReplayer: replayer, names: map[string]bool{}}
	registerWorkflows(g.spec, r)
	quiet := sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))
	out := contract.RolloutGateResult{Build: g.build, Runs: []contract.GateRun{}}
	query := fmt.Sprintf(`TaskQueue = %q AND ExecutionStatus = "Running" AND WorkflowType != %q`, g.spec.TaskQueue, contract.RolloutGateWorkflow)
	var token []byte
	for len(out.Runs) < in.Limit {
		page, err := g.client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, NextPageToken: token, PageSize: 100})
		if err != nil {
			return out, fmt.Errorf("list open runs on %s: %w", g.spec.TaskQueue, err)
		}
		for _, ex := range page.GetExecutions() {
			if len(out.Runs) == in.Limit {
				break
			}
			res, err := replayExecution(ctx, g.client, r, quiet, g.build, ex)
			if err != nil {
				return out, err
			}
			out.Runs = append(out.Runs, contract.GateRun{WorkflowID: ex.GetExecution().GetWorkflowId(), RunID: ex.GetExecution().GetRunId(),
				WorkflowType: res.workflowType, Events: res.events, Verdict: gateVerdicts[res.verdict], Detail: res.detail})
			activity.RecordHeartbeat(ctx, len(out.Runs))
		}
		if token = page.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	return out, nil
}

var gateVerdicts = map[verdict]string{replayed: contract.GateReplayed, blocking: contract.GateFailed,
	pinnedElsewhere: contract.GatePinnedElsewhere, drift: contract.GateFailed, skipped: contract.GateSkipped}

// GateOptions are the settings of `<worker> gate`.
type GateOptions struct {
	Temporal   temporalclient.Config
	Deployment string
	BuildID    string
	Limit      int
	Timeout    time.Duration
	Smoke      *contract.PipelineConfig // --smoke FILE
}

// Gate runs `<worker> gate`: RolloutGateWorkflow, pinned to the build under test,
// on its own workers; it prints each open run's verdict and fails when one does
// not replay.
func Gate(ctx context.Context, spec Spec, args []string, stderr io.Writer) error {
	o, err := parseGate(spec, args, stderr)
	if err != nil {
		return err
	}
	return RunGate(ctx, spec, o, os.Stdout)
}

func parseGate(spec Spec, args []string, stderr io.Writer) (GateOptions, error) {
	o := GateOptions{}
	fs := flag.NewFlagSet(spec.Name+" gate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o.Temporal.RegisterFlags(fs)
	fs.StringVar(&o.BuildID, "build-id", "", "the build under test, whose workers must be polling (required)")
	fs.StringVar(&o.Deployment, "deployment-name", envOr("TEMPORAL_DEPLOYMENT_NAME", DeploymentName(spec.Name)), "its worker deployment (env TEMPORAL_DEPLOYMENT_NAME)")
	fs.IntVar(&o.Limit, "limit", contract.DefaultGateLimit, "at most this many open runs")
	fs.DurationVar(&o.Timeout, "timeout", 30*time.Minute, "give up waiting for the gate's verdict after this long")
	var smokeFile string
	fs.StringVar(&smokeFile, "smoke", "", "a pipeline config (YAML or JSON) the gate runs end to end on the build once the replay passed (the pipeline queue only)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: %s gate --build-id ID [flags]

Runs %s pinned to build ID on task queue %s: a worker of
that build replays every open run of the queue against its own code. It fails
(exit 1), naming them, when an open run the build would continue does not replay:
an unversioned or auto-upgrade run, or one moved by a versioning override. An open
run pinned to another build is reported; it finishes on the build that started it.
The Temporal Worker Controller starts the same workflow as its rollout gate.

Flags:
`, spec.Name, contract.RolloutGateWorkflow, spec.TaskQueue)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, usageError{err}
	}
	switch {
	case fs.NArg() > 0:
		return o, usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	case o.BuildID == "":
		return o, usageError{errors.New("--build-id is required: the build under test")}
	case o.Limit < 1:
		return o, usageError{fmt.Errorf("--limit: expected at least 1, got %d", o.Limit)}
	case o.Timeout <= 0:
		return o, usageError{fmt.Errorf("--timeout: expected a positive duration, got %s", o.Timeout)}
	}
	if err := checkBuildID(o.BuildID); err != nil {
		return o, usageError{err}
	}
	if smokeFile != "" {
		if spec.TaskQueue != contract.PipelineQueue {
			return o, usageError{fmt.Errorf("--smoke: a smoke pipeline runs on %s, not on %s", contract.PipelineQueue, spec.TaskQueue)}
		}
		cfg, err := readSmoke(smokeFile)
		if err != nil {
			return o, usageError{fmt.Errorf("--smoke %s: %w", smokeFile, err)}
		}
		o.Smoke = &cfg
	}
	return o, nil
}

// readSmoke reads a pipeline config strictly (unknown fields refused) and checks
// it as a start would.
func readSmoke(path string) (contract.PipelineConfig, error) {
	var cfg contract.PipelineConfig
	raw, err := os.ReadFile(path)
	if err != nil {
		return cfg, err
	}
	var v any
	if err := yaml.Unmarshal(raw, &v); err != nil {
		return cfg, fmt.Errorf("not valid YAML or JSON: %w", err)
	}
	js, err := json.Marshal(v)
	if err != nil {
		return cfg, err
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return cfg, fmt.Errorf("not a pipeline config: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, err
	}
	return cfg, cfg.Source.RequireConnection("source")
}

// RunGate starts the gate pinned to o.BuildID and prints its verdict.
func RunGate(ctx context.Context, spec Spec, o GateOptions, out io.Writer) error {
	c, err := temporalclient.Dial(ctx, o.Temporal, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       fmt.Sprintf("rollout-gate-%s-%s-%d", strings.ReplaceAll(o.Deployment, "/", "."), o.BuildID, time.Now().UnixMilli()),
		TaskQueue:                spec.TaskQueue,
		WorkflowExecutionTimeout: o.Timeout,
		VersioningOverride: &client.PinnedVersioningOverride{
			Version: worker.WorkerDeploymentVersion{DeploymentName: o.Deployment, BuildID: o.BuildID}},
	}, contract.RolloutGateWorkflow, contract.RolloutGateInput{Limit: o.Limit, Smoke: o.Smoke})
	if err != nil {
		return fmt.Errorf("start %s: %w", contract.RolloutGateWorkflow, err)
	}
	fmt.Fprintf(out, "%s %s on %s.%s\n", contract.RolloutGateWorkflow, run.GetID(), o.Deployment, o.BuildID)
	var res contract.RolloutGateResult
	err = run.Get(ctx, &res)
	var app *temporal.ApplicationError
	if errors.As(err, &app) && app.Type() == rolloutgate.ErrType {
		if derr := app.Details(&res); derr != nil {
			return err
		}
		printGate(out, res)
		if len(res.Failed()) == 0 {
			return fmt.Errorf("gate failed: %s", app.Message())
		}
		return fmt.Errorf("replay gate failed: %d open runs build %s would continue do not replay", len(res.Failed()), o.BuildID)
	}
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("no verdict within --timeout %s: is a worker of build %s polling %s?", o.Timeout, o.BuildID, spec.TaskQueue)
		}
		return err
	}
	printGate(out, res)
	return nil
}

// printGate prints the gate's runs as the replay command prints its histories.
func printGate(out io.Writer, res contract.RolloutGateResult) {
	byName := map[string]verdict{}
	for v, name := range gateVerdicts {
		if v != drift {
			byName[name] = v
		}
	}
	results := make([]replayResult, len(res.Runs))
	for i, g := range res.Runs {
		results[i] = replayResult{source: "live " + g.WorkflowID + "/" + g.RunID, workflowType: g.WorkflowType, events: g.Events,
			verdict: byName[g.Verdict], detail: g.Detail}
	}
	printResults(out, results)
	fmt.Fprintf(out, "gate on build %s: %d open runs: %d replayed, %d fail, %d pinned to other builds, %d skipped\n", res.Build, len(res.Runs),
		count(results, replayed), count(results, blocking), count(results, pinnedElsewhere), count(results, skipped))
	if sm := res.Smoke; sm != nil {
		fmt.Fprintf(out, "smoke pipeline %s: %s, %d rows", sm.WorkflowID, sm.Status, sm.Rows)
		if sm.Error != "" {
			fmt.Fprintf(out, ": %s", sm.Error)
		}
		fmt.Fprintln(out)
	}
}

func count(results []replayResult, v verdict) int {
	n := 0
	for _, r := range results {
		if r.verdict == v {
			n++
		}
	}
	return n
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
