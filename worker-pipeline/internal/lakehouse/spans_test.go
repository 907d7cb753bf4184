package lakehouse

import (
	"testing"
	"time"

	"github.com/apache/iceberg-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSpansJoinPartitionsThatMeet(t *testing.T) {
	h := func(n int) time.Time {
		return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Hour)
	}
	parts := []PartitionRange{{Start: h(3), End: h(4)}, {Start: h(0), End: h(1)}, {Start: h(1), End: h(2)}, {Start: h(5), End: h(6)}, {Start: h(2), End: h(3)}}
	assert.Equal(t, []PartitionRange{{Start: h(0), End: h(4)}, {Start: h(5), End: h(6)}}, spans(parts), "a gap keeps two ranges")
	assert.Empty(t, spans(nil))
}

func TestTheBatchRecordIsCompactAndReadsBack(t *testing.T) {
	day := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	var parts []PartitionRange
	var rows []int64
	for i := 499; i >= 0; i-- { // any order
		start := day(2026, 1, 1).Add(time.Duration(i) * time.Hour)
		parts, rows = append(parts, PartitionRange{Start: start, End: start.Add(time.Hour)}), append(rows, int64(i%7))
	}
	// a gap, then months of different lengths
	parts = append(parts, PartitionRange{Start: day(2027, 1, 1), End: day(2027, 2, 1)}, PartitionRange{Start: day(2027, 2, 1), End: day(2027, 3, 1)})
	rows = append(rows, 31, 28)
	raw, err := encodeSpans("created_at", parts, rows)
	require.NoError(t, err)
	assert.Less(t, len(raw), 1500, "500 hourly partitions in about a kilobyte")
	got := batchRecord(iceberg.Properties{PropPartitionSpans: raw})
	require.Len(t, got, len(parts))
	for i, p := range parts {
		assert.Equal(t, rows[i], got[PartitionID("created_at", p.Start, p.End)], "partition %d", i)
	}
	old := batchRecord(iceberg.Properties{PropPartitions: `{"created_at [2026-01-01T00:00:00Z, 2026-01-01T01:00:00Z)":3}`})
	assert.Equal(t, map[string]int64{"created_at [2026-01-01T00:00:00Z, 2026-01-01T01:00:00Z)": 3}, old, "commits before the spans still read")
}
