package contract

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDeliveryWorkflowIDs(t *testing.T) {
	id := DeliveryWorkflowID("0b5c7e2a-run", 3)
	assert.Equal(t, "0b5c7e2a-run.notify-3", id)
	assert.True(t, IsDeliveryWorkflowID(id))
	assert.True(t, IsDeliveryWorkflowID("a.notify-12"))
	assert.True(t, IsDeliveryWorkflowID("a.notify-1.notify-2"), "the last mark counts")
	for _, id := range []string{"", "notify-1", ".notify-1", "a.notify-", "a.notify-1x", "a.notify--1",
		"pipeline-orders-1", strings.Repeat("a", MaxWorkflowIDLength) + ".notify-1"} {
		assert.False(t, IsDeliveryWorkflowID(id), id)
	}
}
