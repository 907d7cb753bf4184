package status

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/sdk/converter"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
)

// Folder folds one run's history incrementally: events are added in order, as they
// arrive, and the document can be asked for at any point. Adding a history in one go
// or in any number of steps gives the same document, so a long-lived reader that keeps
// a Folder per run reads each event once.
type Folder struct {
	mu   sync.Mutex
	f    folder
	last int64 // id of the last event folded
}

// ErrGap says events were offered out of order; the fold must start over.
var ErrGap = errors.New("history gap")

// NewFolder starts an empty fold that reads payloads as plain JSON.
func NewFolder() *Folder { return NewFolderWith(converter.GetDefaultDataConverter()) }

// NewFolderWith starts an empty fold that reads payloads with dc: the clients' data
// converter, which decrypts them when the codec is on.
func NewFolderWith(dc converter.DataConverter) *Folder {
	return &Folder{f: folder{dc: dc, doc: &Document{}, bySched: map[int64]int{}, byActID: map[string]int{}, started: map[int64]time.Time{}}}
}

// Last is the id of the last event folded, 0 before any.
func (x *Folder) Last() int64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.last
}

// Add folds events that follow the ones already folded; events already folded are
// skipped. A gap (an event whose predecessor was never added) is refused, and nothing
// of that call is folded, so the caller can start over from the first event.
func (x *Folder) Add(events []*historypb.HistoryEvent) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	next := x.last + 1
	for _, ev := range events {
		if id := ev.GetEventId(); id >= next {
			if id != next {
				return fmt.Errorf("%w: event %d follows event %d", ErrGap, id, next-1)
			}
			next++
		}
	}
	x.add(events)
	return nil
}

// add folds without the gap check; the caller holds the lock or owns the Folder.
func (x *Folder) add(events []*historypb.HistoryEvent) {
	for _, ev := range events {
		if ev.GetEventId() <= x.last && x.last > 0 {
			continue
		}
		x.f.event(ev)
		if id := ev.GetEventId(); id > x.last {
			x.last = id
		}
	}
}

// Document is the status document of the events folded so far, completed by what
// describe says now (pending activities, search attributes, a failing workflow task).
// It is a copy: later Adds and the caller's changes do not touch each other.
func (x *Folder) Document(desc *workflowservice.DescribeWorkflowExecutionResponse, now time.Time) Document {
	x.mu.Lock()
	defer x.mu.Unlock()
	doc := x.f.doc.Clone()
	header(&doc, desc)
	for i, a := range doc.Activities {
		if a.Status == ActivityRunning && a.StartedAt != nil {
			doc.Activities[i].Duration = FormatDuration(now.Sub(*a.StartedAt))
		}
	}
	g := folder{dc: x.f.dc, doc: &doc, byActID: x.f.byActID, taskFailure: x.f.taskFailure}
	g.pending(desc, now)
	g.stuck(desc)
	g.searchAttributes(desc.GetWorkflowExecutionInfo().GetSearchAttributes())
	g.finish()
	return doc
}

// header sets what describe knows about the execution; history's own type and queue
// (from its started event) stand in where describe has none.
func header(doc *Document, desc *workflowservice.DescribeWorkflowExecutionResponse) {
	info := desc.GetWorkflowExecutionInfo()
	doc.WorkflowID = info.GetExecution().GetWorkflowId()
	doc.RunID = info.GetExecution().GetRunId()
	if t := info.GetType().GetName(); t != "" {
		doc.WorkflowType = t
	}
	if q := info.GetTaskQueue(); q != "" {
		doc.TaskQueue = q
	}
	if v := info.GetVersioningInfo(); v.GetDeploymentVersion().GetBuildId() != "" {
		doc.Version = v.GetDeploymentVersion().GetDeploymentName() + ":" + v.GetDeploymentVersion().GetBuildId()
		doc.Pinned = v.GetBehavior() == enumspb.VERSIONING_BEHAVIOR_PINNED
	}
	doc.Status = StatusName(info.GetStatus())
	doc.StartedAt = info.GetStartTime().AsTime().UTC()
	doc.HistoryLength = int(info.GetHistoryLength())
	doc.ProgressSource = SourceHistory
	if ct := info.GetCloseTime(); ct != nil && info.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		t := ct.AsTime().UTC()
		doc.ClosedAt = &t
	}
}

// Clone copies the document deeply enough that the copy's slices and approval can be
// changed without touching the original.
func (d *Document) Clone() Document {
	out := *d
	out.Activities = append([]Activity{}, d.Activities...)
	out.PendingSignals = append([]string{}, d.PendingSignals...)
	if d.Approval != nil {
		a := *d.Approval
		a.Ignored = append(a.Ignored[:0:0], d.Approval.Ignored...)
		out.Approval = &a
	}
	return out
}
