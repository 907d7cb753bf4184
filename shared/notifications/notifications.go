// Package notifications sends a workflow's notifications so that they never hold
// the run open. Each goes to a NotificationDeliveryWorkflow on notify-workers,
// started as an abandoned child: the run waits only until the server has started
// it, and the delivery goes on, with the notify activity's retry policy, however
// long worker-notify is away and whether or not the run has closed.
package notifications

import (
	"encoding/json"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/contract"
)

// ChangeByChild is the workflow.GetVersion change id of delivering notifications
// through a child workflow. Runs started before it call the notify activities
// themselves, as they did.
const ChangeByChild = "notify-by-child-workflow"

// ChangeDetached is the workflow.GetVersion change id of starting deliveries on a
// disconnected context. Before it, a run cancelled while a delivery was starting or
// running cancelled that delivery with it (the child's context was the run's), so
// the notification was lost; runs started before it keep doing so.
const ChangeDetached = "notify-detached"

// ChangeStartAfterPrevious is the change id of a delivery being started only once
// the previous one has. The server answers a signal to a workflow that has not
// started yet as it does one to a closed workflow, so a delivery started first
// would take its predecessor for done and could, say, resolve a page before it
// was triggered. Runs started before it start deliveries without waiting.
const ChangeStartAfterPrevious = "notify-start-after-previous"

// DeliveryTimeout is how long a notification may wait for worker-notify.
const DeliveryTimeout = 7 * 24 * time.Hour

// Sender numbers a run's notifications and remembers those not yet started.
type Sender struct {
	sent      int
	last      string          // the delivery workflow id of the previous notification
	lastStart workflow.Future // set when the server has started it
	pending   []workflow.ChildWorkflowFuture
}

// ByChild tells whether this run delivers through child workflows. Every call in
// a run gives the same answer.
func ByChild(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, ChangeByChild, workflow.DefaultVersion, 1) == 1
}

// Send starts the delivery of one notification and returns at once. Its id is the
// run's id and the notification's number, so a replay starts nothing twice and
// two runs of one workflow id never collide. It names the previous delivery, which
// it waits for (see worker-notify/delivery).
func (s *Sender) Send(ctx workflow.Context, activity string, payload any) {
	raw, err := json.Marshal(payload)
	if err != nil {
		workflow.GetLogger(ctx).Error("notification not sent: payload does not encode", "activity", activity, "error", err)
		return
	}
	raw = fit(raw)
	s.sent++
	s.awaitLastStarted(ctx)
	if workflow.GetVersion(ctx, ChangeDetached, workflow.DefaultVersion, 1) == 1 {
		ctx, _ = workflow.NewDisconnectedContext(ctx)
	}
	info := workflow.GetInfo(ctx)
	id := contract.DeliveryWorkflowID(info.WorkflowExecution.RunID, s.sent)
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:        id,
		TaskQueue:         contract.NotifyQueue,
		ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_ABANDON,
		// Long enough for a notify worker that is down over a weekend; bounded, so
		// an environment without one does not collect deliveries for ever.
		WorkflowExecutionTimeout: DeliveryTimeout,
	})
	f := workflow.ExecuteChildWorkflow(cctx, contract.NotificationDeliveryWorkflow,
		contract.NotificationRequest{Activity: activity, Payload: raw, After: s.last})
	s.pending = append(s.pending, f)
	s.last, s.lastStart = id, f.GetChildWorkflowExecution()
}

// awaitLastStarted waits, from ChangeStartAfterPrevious on, until the server has
// started the previous delivery, which is mostly so already. It needs the server,
// not worker-notify. A previous delivery that failed to start is not waited for.
func (s *Sender) awaitLastStarted(ctx workflow.Context) {
	if s.lastStart == nil || s.lastStart.IsReady() {
		return
	}
	if workflow.GetVersion(ctx, ChangeStartAfterPrevious, workflow.DefaultVersion, 1) != 1 {
		return
	}
	if err := s.lastStart.Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Warn("previous notification delivery did not start", "delivery", s.last, "error", err)
	}
}

// Started waits until the server has started every delivery sent so far: all a
// run must wait for before it closes. It needs the server, not worker-notify.
func (s *Sender) Started(ctx workflow.Context) {
	for _, f := range s.pending {
		var ex workflow.Execution
		if err := f.GetChildWorkflowExecution().Get(ctx, &ex); err != nil {
			workflow.GetLogger(ctx).Warn("notification delivery did not start", "error", err)
		}
	}
	s.pending = nil
}
