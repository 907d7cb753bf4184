package contract

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCompactedKeepsFailuresListedAndRunsAsRanges(t *testing.T) {
	p := func(i int) Partition { return Partition{Index: i, Key: fmt.Sprint(i)} }
	res := BatchResult{Commit: Duration(time.Second), Results: []PartitionResult{
		{Partition: p(4), Status: PartitionDone, Rows: 3, Attempts: 1, Duration: Duration(time.Second)},
		{Partition: p(5), Status: PartitionDone, Rows: 4, Attempts: 2, Duration: Duration(time.Second)},
		{Partition: p(6), Status: PartitionSkipped, Attempts: 1, Duration: Duration(time.Millisecond)},
		{Partition: p(7), Status: PartitionFailed, Error: "bad row", Attempts: 3},
		{Partition: p(8), Status: PartitionDone, Rows: 1, Duration: Duration(time.Second)},
		{Partition: p(1), Status: PartitionDone, Rows: 9, Attempts: 1, Duration: Duration(time.Second)},
	}}
	c := res.Compacted()
	assert.Equal(t, []PartitionRange{{From: 4, To: 6, Rows: 7, Attempts: 3}, {From: 8, To: 9, Rows: 1, Attempts: 1}, {From: 1, To: 2, Rows: 9, Attempts: 1}}, c.Done)
	assert.Equal(t, []PartitionRange{{From: 6, To: 7, Attempts: 1}}, c.Skipped)
	require.Len(t, c.Results, 1)
	assert.Equal(t, "bad row", c.Results[0].Error)
	assert.Equal(t, Duration(4*time.Second+time.Millisecond), c.Work)
	assert.Equal(t, res.Commit, c.Commit)
}
