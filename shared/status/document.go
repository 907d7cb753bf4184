// Package status is the one model of a workflow's state that `matih status --json`,
// the console's detail view and GET /v1/pipelines/workflows/{id}/status all render.
// It keeps the seed's camelCase field names.
package status

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/matih/ops/shared/contract"
)

// Activity statuses in the document.
const (
	ActivityScheduled = "SCHEDULED"
	ActivityRunning   = "RUNNING"
	ActivityCompleted = "COMPLETED"
	ActivityFailed    = "FAILED"
	ActivityCancelled = "CANCELLED"
	ActivityTimedOut  = "TIMED_OUT"
	ActivitySkipped   = "SKIPPED"
)

// Progress sources: whether the numbers came from a worker or only from history.
const (
	SourceQuery   = "query"
	SourceHistory = "history"
)

// Activity is one step of the timeline.
type Activity struct {
	Name        string     `json:"name"`
	Status      string     `json:"status"`
	Duration    string     `json:"duration,omitempty"`
	StartedAt   *time.Time `json:"startedAt,omitempty"`
	Attempts    int32      `json:"attempts,omitempty"`
	LastFailure string     `json:"lastFailure,omitempty"`
	Heartbeat   string     `json:"heartbeat,omitempty"`
}

// Approval describes the human gate of a pipeline run.
type Approval struct {
	Deadline  time.Time  `json:"deadline"`
	Decided   bool       `json:"decided"`
	Approved  bool       `json:"approved"`
	Approver  string     `json:"approver,omitempty"`
	Reason    string     `json:"reason,omitempty"`
	DecidedAt *time.Time `json:"decidedAt,omitempty"`
	MinScore  float64    `json:"minScore"`
	// Ignored lists later decisions that arrived after the first one won.
	Ignored []contract.ApprovalSignal `json:"ignored,omitempty"`
}

// Document is the status of one workflow execution.
type Document struct {
	WorkflowID   string `json:"workflowId"`
	RunID        string `json:"runId"`
	WorkflowType string `json:"workflowType,omitempty"`
	TaskQueue    string `json:"taskQueue,omitempty"`
	// Version is the worker deployment version the run is on (deployment:build),
	// and Pinned says it stays there to its end (Worker Versioning).
	Version         string     `json:"version,omitempty"`
	Pinned          bool       `json:"pinned,omitempty"`
	Status          string     `json:"status"`
	Phase           string     `json:"phase,omitempty"`
	StartedAt       time.Time  `json:"startedAt"`
	ClosedAt        *time.Time `json:"closedAt,omitempty"`
	CurrentActivity string     `json:"currentActivity"`
	// Stuck says why a running workflow is not moving when history shows it: its
	// workflow task keeps failing (an unregistered type, a panic, nondeterminism).
	Stuck          string                  `json:"stuck,omitempty"`
	Progress       float64                 `json:"progress"`
	ProgressSource string                  `json:"progressSource,omitempty"`
	Activities     []Activity              `json:"activities"`
	Retries        int                     `json:"retries"`
	PendingSignals []string                `json:"pendingSignals"`
	Approval       *Approval               `json:"approval,omitempty"`
	Quality        *contract.QualityResult `json:"quality,omitempty"`
	HistoryLength  int                     `json:"historyLength,omitempty"`
	Partitions     *PartitionSummary       `json:"partitions,omitempty"`
	// RefusedSignals counts the signals the workflow refused (undecodable or
	// invalid) and keeps the last one, so a refusal is never silent.
	RefusedSignals *contract.SignalRefusals `json:"refusedSignals,omitempty"`
	Result         json.RawMessage          `json:"result,omitempty"`
	Failure        string                   `json:"failure,omitempty"`
}

// RefusalLine says in one line what a workflow refused of its signals, or nothing:
// `2 signals, last approval at 14:03:07: approver is required`.
func RefusalLine(r *contract.SignalRefusals) string {
	if r == nil || r.Count == 0 || r.Last == nil {
		return ""
	}
	n := "1 signal"
	if r.Count > 1 {
		n = itoa(r.Count) + " signals"
	}
	return n + ", last " + r.Last.Name + " at " + r.Last.At.Local().Format("15:04:05") + ": " + r.Last.Reason
}

// FormatDuration renders durations as the seed does: "5m 23s", "1h 2m", "12s".
func FormatDuration(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h > 0:
		return itoa(h) + "h " + itoa(m) + "m"
	case m > 0:
		return itoa(m) + "m " + itoa(s) + "s"
	default:
		return itoa(s) + "s"
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
