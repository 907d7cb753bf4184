package cli

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/matih/ops/tui/internal/data"
)

// During a rollout two builds poll one queue: the table says which process runs which.
func TestQueueTableShowsEachPollersBuild(t *testing.T) {
	var out bytes.Buffer
	a := &App{Out: &out}
	now := time.Now()
	a.queueTable([]data.Queue{{
		Name: "pipeline-workers",
		WorkflowPollers: []data.Poller{
			{Identity: "worker-pipeline@11@a", LastAccessTime: now, Deployment: "matih-worker-pipeline", BuildID: "aaa111"},
			{Identity: "worker-pipeline@12@b", LastAccessTime: now, Deployment: "matih-worker-pipeline", BuildID: "bbb222"},
		},
		ActivityPollers: []data.Poller{{Identity: "worker-pipeline@11@a", LastAccessTime: now, BuildID: "aaa111"}},
	}})
	assert.Contains(t, out.String(), "worker-pipeline@11@a build aaa111, worker-pipeline@12@b build bbb222")
}
