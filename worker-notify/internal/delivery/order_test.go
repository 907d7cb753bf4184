package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/matih/ops/shared/contract"
)

const (
	run  = "0b5c-run"
	prev = run + ".notify-1"
	self = run + ".notify-2"
	next = run + ".notify-3"
)

// ordered is a test environment for delivery self whose activity records when it
// ran, on the environment's skipping clock.
func ordered(t *testing.T, ran *[]time.Time) *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	e := s.NewTestWorkflowEnvironment()
	Register(e)
	e.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: self})
	e.RegisterActivityWithOptions(func(context.Context, contract.FailureNotification) (contract.NotificationResult, error) {
		*ran = append(*ran, e.Now())
		return contract.NotificationResult{Delivered: []string{"pagerduty"}}, nil
	}, activity.RegisterOptions{Name: contract.ActivityNotifyFailure})
	return e
}

func request(t *testing.T, after string) contract.NotificationRequest {
	raw, err := json.Marshal(contract.FailureNotification{NotificationHeader: contract.NotificationHeader{WorkflowID: "orders-1"}, Error: "boom"})
	require.NoError(t, err)
	return contract.NotificationRequest{Activity: contract.ActivityNotifyFailure, Payload: raw, After: after}
}

func TestADeliveryWaitsUntilThePreviousOneSaysItIsDone(t *testing.T) {
	var ran []time.Time
	e := ordered(t, &ran)
	e.OnSignalExternalWorkflow(mock.Anything, prev, "", contract.SignalDeliveryWaiter, self).Return(nil).Once()
	var said time.Time
	e.RegisterDelayedCallback(func() {
		said = e.Now()
		e.SignalWorkflow(contract.SignalDeliveryDone, nil)
	}, 5*time.Minute)
	e.ExecuteWorkflow(contract.NotificationDeliveryWorkflow, request(t, prev))
	require.NoError(t, e.GetWorkflowError())
	require.Len(t, ran, 1)
	assert.False(t, ran[0].Before(said), "delivered at %v, before the previous one was done at %v", ran[0], said)
	e.AssertExpectations(t)
}

func TestAClosedPreviousDeliveryDoesNotHoldTheNextUp(t *testing.T) {
	var ran []time.Time
	e := ordered(t, &ran)
	e.OnSignalExternalWorkflow(mock.Anything, prev, "", contract.SignalDeliveryWaiter, self).Return(errors.New("workflow not found")).Once()
	start := e.Now()
	e.ExecuteWorkflow(contract.NotificationDeliveryWorkflow, request(t, prev))
	require.NoError(t, e.GetWorkflowError())
	require.Len(t, ran, 1)
	assert.Less(t, ran[0].Sub(start), time.Minute)
}

// A predecessor terminated by hand never says it is done: the next ask, an hour
// on, is refused, and the delivery goes ahead.
func TestASilentPreviousDeliveryIsAskedAgainHourly(t *testing.T) {
	var ran []time.Time
	e := ordered(t, &ran)
	e.OnSignalExternalWorkflow(mock.Anything, prev, "", contract.SignalDeliveryWaiter, self).Return(nil).Once()
	e.OnSignalExternalWorkflow(mock.Anything, prev, "", contract.SignalDeliveryWaiter, self).Return(errors.New("workflow not found")).Once()
	start := e.Now()
	e.ExecuteWorkflow(contract.NotificationDeliveryWorkflow, request(t, prev))
	require.NoError(t, e.GetWorkflowError())
	require.Len(t, ran, 1)
	assert.GreaterOrEqual(t, ran[0].Sub(start), RecheckPrevious)
	e.AssertExpectations(t)
}

func TestADeliveryReleasesTheDeliveriesThatAsked(t *testing.T) {
	var ran []time.Time
	e := ordered(t, &ran)
	e.OnSignalExternalWorkflow(mock.Anything, next, "", contract.SignalDeliveryDone, nil).Return(nil).Once()
	e.RegisterDelayedCallback(func() {
		e.SignalWorkflow(contract.SignalDeliveryWaiter, next)
		e.SignalWorkflow(contract.SignalDeliveryWaiter, next)                // asked twice: told once
		e.SignalWorkflow(contract.SignalDeliveryWaiter, "pipeline-orders-1") // not a delivery: not signalled
		e.SignalWorkflow(contract.SignalDeliveryWaiter, 42)                  // malformed: dropped
	}, 0)
	e.ExecuteWorkflow(contract.NotificationDeliveryWorkflow, request(t, ""))
	require.NoError(t, e.GetWorkflowError())
	require.Len(t, ran, 1)
	e.AssertExpectations(t)
}

func TestAnAfterThatIsNoDeliveryIsNotWaitedFor(t *testing.T) {
	var ran []time.Time
	e := ordered(t, &ran)
	e.ExecuteWorkflow(contract.NotificationDeliveryWorkflow, request(t, "pipeline-orders-1"))
	require.NoError(t, e.GetWorkflowError())
	assert.Len(t, ran, 1, "delivered without asking a workflow that is not a delivery")
}

// A delivery cancelled while it waits stops asking: it delivers nothing, still
// releases the deliveries that asked it, and ends cancelled.
func TestACancelledDeliveryStopsWaiting(t *testing.T) {
	var ran []time.Time
	e := ordered(t, &ran)
	e.OnSignalExternalWorkflow(mock.Anything, prev, "", contract.SignalDeliveryWaiter, self).Return(nil).Once()
	e.OnSignalExternalWorkflow(mock.Anything, next, "", contract.SignalDeliveryDone, nil).Return(nil).Once()
	e.RegisterDelayedCallback(func() { e.SignalWorkflow(contract.SignalDeliveryWaiter, next) }, time.Minute)
	e.RegisterDelayedCallback(e.CancelWorkflow, 2*time.Minute)
	e.ExecuteWorkflow(contract.NotificationDeliveryWorkflow, request(t, prev))
	var canceled *temporal.CanceledError
	require.ErrorAs(t, e.GetWorkflowError(), &canceled)
	assert.Empty(t, ran, "nothing delivered")
	e.AssertExpectations(t) // one ask, not one per workflow task
}
