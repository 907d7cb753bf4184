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
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/contract"
)

// divisionKey is Temporal's own search attribute for workflows kept out of lists.
var divisionKey = temporal.NewSearchAttributeKeyKeyword("TemporalNamespaceDivision")

// DeliveryTimeout is how long a notification may wait for worker-notify.
const DeliveryTimeout = 7 * 24 * time.Hour

// Sender numbers a run's notifications and remembers those not yet started.
type Sender struct {
	sent      int
	last      string          // the delivery workflow id of the previous notification
	lastStart workflow.Future // set when the server has started it
	pending   []workflow.ChildWorkflowFuture
}

// Send starts the delivery of one notification and returns at once. Its id is the
// run's id and the notification's number, so a replay starts nothing twice and
// two runs of one workflow id never collide. It names the previous delivery, which
// it waits for (see worker-notify/internal/delivery). It is started on a disconnected
// context, so a run cancelled while a delivery starts does not cancel it too.
func (s *Sender) Send(ctx workflow.Context, activity string, payload any) {
	raw, err := json.Marshal(payload)
	if err != nil {
		workflow.GetLogger(ctx).Error("notification not sent: payload does not encode", "activity", activity, "error", err)
		return
	}
	raw = fit(raw)
	s.sent++
	s.awaitLastStarted(ctx)
	ctx, _ = workflow.NewDisconnectedContext(ctx)
	info := workflow.GetInfo(ctx)
	id := contract.DeliveryWorkflowID(info.WorkflowExecution.RunID, s.sent)
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:        id,
		TaskQueue:         contract.NotifyQueue,
		ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_ABANDON,
		// Long enough for a notify worker that is down over a weekend; bounded, so
		// an environment without one does not collect deliveries for ever.
		WorkflowExecutionTimeout: DeliveryTimeout,
		// Out of every list that does not ask for deliveries; see contract.
		TypedSearchAttributes: temporal.NewSearchAttributes(divisionKey.ValueSet(contract.DeliveryNamespaceDivision)),
	})
	f := workflow.ExecuteChildWorkflow(cctx, contract.NotificationDeliveryWorkflow,
		contract.NotificationRequest{Activity: activity, Payload: raw, After: s.last})
	s.pending = append(s.pending, f)
	s.last, s.lastStart = id, f.GetChildWorkflowExecution()
}

// awaitLastStarted waits until the server has started the previous delivery, which
// is mostly so already. The server answers a signal to a workflow not yet started as
// it does one to a closed workflow, so a delivery started first would take its
// predecessor for done and could resolve a page before it was triggered. It needs
// the server, not worker-notify. A previous delivery that failed to start is not
// waited for.
func (s *Sender) awaitLastStarted(ctx workflow.Context) {
	if s.lastStart == nil || s.lastStart.IsReady() {
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
