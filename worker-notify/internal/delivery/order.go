package delivery

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/contract"
)

// ChangeOrdered is the workflow.GetVersion change id of a delivery waiting for the
// run's previous one and releasing the next. Deliveries started before it, which
// an AutoUpgrade build may replay, neither wait nor release.
const ChangeOrdered = "delivery-after-previous"

// RecheckPrevious is how long a delivery waits for its predecessor's word before it
// asks again. A predecessor that has closed without a word (terminated by hand)
// refuses the ask, so it holds the next delivery up at most this long.
const RecheckPrevious = time.Hour

// ChangeWaitCancelled is the change id of a cancelled delivery ending its wait.
// Before it, a delivery cancelled while it waited found its timer cancelled at
// once and asked again in every workflow task, until its predecessor closed.
const ChangeWaitCancelled = "delivery-wait-cancelled"

// awaitPrevious waits until the delivery named prev has delivered: it asks prev to
// signal back, and an ask the server refuses means prev has closed already or never
// started. A prev that is not a delivery's id is not waited for.
func awaitPrevious(ctx workflow.Context, prev string) {
	if !contract.IsDeliveryWorkflowID(prev) {
		workflow.GetLogger(ctx).Warn("not waiting: after is not a delivery's id", "after", prev)
		return
	}
	self := workflow.GetInfo(ctx).WorkflowExecution.ID
	done := workflow.GetSignalChannel(ctx, contract.SignalDeliveryDone)
	for {
		if err := workflow.SignalExternalWorkflow(ctx, prev, "", contract.SignalDeliveryWaiter, self).Get(ctx, nil); err != nil {
			return
		}
		tctx, cancel := workflow.WithCancel(ctx)
		heard := false
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(done, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil); heard = true })
		sel.AddFuture(workflow.NewTimer(tctx, RecheckPrevious), func(workflow.Future) {})
		sel.Select(ctx)
		cancel()
		if heard {
			return
		}
		if ctx.Err() != nil && workflow.GetVersion(ctx, ChangeWaitCancelled, workflow.DefaultVersion, 1) == 1 {
			return // cancelled: the activity is not run, and the waiters are still released
		}
	}
}

// releaseWaiters tells every later delivery of the run that asked that this one has
// delivered. An ask that arrives while the workflow completes makes the server hand
// the task back, so the drain sees it before the workflow closes.
func releaseWaiters(ctx workflow.Context) {
	asks := workflow.GetSignalChannel(ctx, contract.SignalDeliveryWaiter)
	told := map[string]bool{}
	for {
		var waiter string
		if !asks.ReceiveAsync(&waiter) {
			return
		}
		if told[waiter] || !contract.IsDeliveryWorkflowID(waiter) {
			continue
		}
		told[waiter] = true
		if err := workflow.SignalExternalWorkflow(ctx, waiter, "", contract.SignalDeliveryDone, nil).Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Warn("the next delivery did not hear this one is done", "waiter", waiter, "error", err)
		}
	}
}
