package contract

// RolloutGateWorkflow is the replay gate as a workflow, registered by every worker
// build on its own task queue. Started pinned to a new build (by the Temporal
// Worker Controller as its rollout gate, or by scripts/rollout.sh), it replays,
// on that build's own workers, every open run the build would have to continue,
// and fails naming each one that does not replay, so the build is not promoted.
const RolloutGateWorkflow = "RolloutGateWorkflow"

// ActivityReplayOpenRuns is the gate's activity: the replay itself.
const ActivityReplayOpenRuns = "replay_open_runs"

// RolloutGateInput is the gate's optional input (the controller's rollout.gate.input).
type RolloutGateInput struct {
	// Limit is how many open runs are replayed at most (default 1000).
	Limit int `json:"limit,omitempty"`
	// Smoke, on the pipeline queue, is a pipeline the gate runs end to end on the new
	// build once the replay passed: a demo-size table on a connection the worker
	// defines (a canary), whose quality needs no approval. The build is not
	// promoted unless it completes.
	Smoke *PipelineConfig `json:"smoke,omitempty"`
}

// DefaultGateLimit is RolloutGateInput.Limit when unset.
const DefaultGateLimit = 1000

// GateRun is one open run the gate looked at, and what its replay means.
type GateRun struct {
	WorkflowID   string `json:"workflow_id"`
	RunID        string `json:"run_id"`
	WorkflowType string `json:"workflow_type"`
	Events       int    `json:"events"`
	// Verdict is GateReplayed, GateFailed (a run this build would continue that does
	// not replay), GatePinnedElsewhere (it finishes on its own build) or GateSkipped.
	Verdict string `json:"verdict"`
	Detail  string `json:"detail,omitempty"`
}

// Gate verdicts.
const (
	GateReplayed        = "replayed"
	GateFailed          = "failed"
	GatePinnedElsewhere = "pinned-elsewhere"
	GateSkipped         = "skipped"
)

// RolloutGateResult is what the gate found: the build it ran on and every run.
type RolloutGateResult struct {
	Build string    `json:"build"`
	Runs  []GateRun `json:"runs"`
	// Smoke is the smoke pipeline's run, when the input asked for one.
	Smoke *SmokeRun `json:"smoke,omitempty"`
}

// SmokeRun is how the gate's smoke pipeline ended.
type SmokeRun struct {
	WorkflowID string `json:"workflow_id"`
	Status     string `json:"status"`
	Rows       int64  `json:"rows"`
	Error      string `json:"error,omitempty"`
}

// Failed lists the runs that do not replay.
func (r RolloutGateResult) Failed() []GateRun {
	var out []GateRun
	for _, g := range r.Runs {
		if g.Verdict == GateFailed {
			out = append(out, g)
		}
	}
	return out
}
