package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/matih/ops/shared/contract"
)

func env(got *[]contract.FailureNotification) *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	e := s.NewTestWorkflowEnvironment()
	Register(e)
	e.RegisterActivityWithOptions(func(_ context.Context, n contract.FailureNotification) (contract.NotificationResult, error) {
		*got = append(*got, n)
		return contract.NotificationResult{Delivered: []string{"outbox", "slack"}}, nil
	}, activity.RegisterOptions{Name: contract.ActivityNotifyFailure})
	return e
}

func TestADeliveryRunsTheActivityItNames(t *testing.T) {
	var got []contract.FailureNotification
	e := env(&got)
	payload, err := json.Marshal(contract.FailureNotification{NotificationHeader: contract.NotificationHeader{WorkflowID: "orders-1", Summary: "failed"}, Error: "boom"})
	require.NoError(t, err)
	e.ExecuteWorkflow(contract.NotificationDeliveryWorkflow, contract.NotificationRequest{Activity: contract.ActivityNotifyFailure, Payload: payload})
	require.NoError(t, e.GetWorkflowError())
	var res contract.NotificationResult
	require.NoError(t, e.GetWorkflowResult(&res))
	assert.Equal(t, []string{"outbox", "slack"}, res.Delivered)
	require.Len(t, got, 1)
	assert.Equal(t, "orders-1", got[0].WorkflowID)
	assert.Equal(t, "boom", got[0].Error)
}

func TestABadRequestFailsWithoutRetry(t *testing.T) {
	for _, req := range []contract.NotificationRequest{
		{Activity: "extract_data", Payload: json.RawMessage(`{}`)},
		{Activity: contract.ActivityNotifyFailure, Payload: json.RawMessage(`"not an object"`)},
		{Activity: contract.ActivityNotifyFailure},
	} {
		var got []contract.FailureNotification
		e := env(&got)
		e.ExecuteWorkflow(contract.NotificationDeliveryWorkflow, req)
		err := e.GetWorkflowError()
		var app *temporal.ApplicationError
		require.True(t, errors.As(err, &app), "%v", err)
		assert.True(t, app.NonRetryable())
		assert.Equal(t, contract.ErrTypeValidation, app.Type())
		assert.Empty(t, got, "nothing delivered for %+v", req)
	}
}
