package data

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestIdleQueuesIgnoreWorkersLongGone(t *testing.T) {
	now := time.Date(2026, 2, 12, 6, 0, 0, 0, time.UTC)
	qs := []Queue{
		{Name: "pipeline-workers", ActivityPollers: []Poller{{Identity: "dead", LastAccessTime: now.Add(-10 * time.Minute)}}},
		{Name: "infra-workers", WorkflowPollers: []Poller{{Identity: "alive", LastAccessTime: now.Add(-30 * time.Second)}}},
		{Name: "notify-workers"},
	}
	assert.Equal(t, []string{"pipeline-workers", "notify-workers"}, IdleQueues(qs, now))
}
