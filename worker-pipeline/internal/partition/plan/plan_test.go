package plan

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
)

func cfg(start, end, size string) contract.BackfillConfig {
	return contract.BackfillConfig{StartDate: start, EndDate: end, PartitionSize: size}
}

func TestGenerateCoversTheRangeInOrderExactlyOnce(t *testing.T) {
	cases := []struct {
		start, end, size string
		n                int
		first, last      string
	}{
		{"2026-01-01", "2026-03-02", contract.PartitionDay, 60, "2026-01-01", "2026-03-01"},
		{"2026-01-01", "2026-01-02", contract.PartitionHour, 24, "2026-01-01T00", "2026-01-01T23"},
		{"2026-01-01", "2026-01-20", contract.PartitionWeek, 3, "2026-01-01", "2026-01-15"},
		{"2026-01-01", "2026-12-15", contract.PartitionMonth, 12, "2026-01", "2026-12"},
		{"2026-01-15", "2026-03-15", contract.PartitionMonth, 2, "2026-01-15", "2026-02-15"},
		{"2026-01-01T06:00:00Z", "2026-01-01T09:30:00Z", contract.PartitionHour, 4, "2026-01-01T06", "2026-01-01T09"},
	}
	for _, c := range cases {
		ps, err := Generate(cfg(c.start, c.end, c.size))
		require.NoError(t, err, c)
		require.Len(t, ps, c.n, c)
		assert.Equal(t, c.first, ps[0].Key)
		assert.Equal(t, c.last, ps[len(ps)-1].Key)
		start, _ := contract.ParseDate("", c.start)
		end, _ := contract.ParseDate("", c.end)
		assert.Equal(t, start, ps[0].Start, "starts at start_date")
		assert.Equal(t, end, ps[len(ps)-1].End, "ends at end_date (the last one clipped)")
		for i, p := range ps {
			assert.Equal(t, i, p.Index)
			assert.True(t, p.End.After(p.Start))
			if i > 0 {
				assert.Equal(t, ps[i-1].End, p.Start, "no gap, no overlap at %d", i)
			}
		}
		again, _ := Generate(cfg(c.start, c.end, c.size))
		assert.Equal(t, ps, again, "deterministic")
	}
}

func TestGenerateRejectsBadRanges(t *testing.T) {
	cases := map[string]struct {
		c     contract.BackfillConfig
		field string
		says  string
	}{
		"end before start": {cfg("2026-02-01", "2026-01-01", contract.PartitionDay), "end_date", "after start_date"},
		"equal ends":       {cfg("2026-02-01", "2026-02-01", contract.PartitionDay), "end_date", "after start_date"},
		"zero size":        {cfg("2026-01-01", "2026-02-01", ""), "partition_size", "required"},
		"unknown size":     {cfg("2026-01-01", "2026-02-01", "minute"), "partition_size", `got "minute"`},
		"bad date":         {cfg("01/02/2026", "2026-02-01", contract.PartitionDay), "start_date", "YYYY-MM-DD"},
		"month from 31st":  {cfg("2026-01-31", "2026-06-01", contract.PartitionMonth), "start_date", "day from 1 to 28"},
		"too many": {func() contract.BackfillConfig {
			c := cfg("2010-01-01", "2026-01-01", contract.PartitionHour)
			return c
		}(), "end_date", "at most 100000 hour partitions"},
	}
	for name, c := range cases {
		_, err := Generate(c.c)
		var ve *contract.ValidationError
		require.ErrorAs(t, err, &ve, name)
		assert.Equal(t, c.field, ve.Field, name)
		assert.Contains(t, ve.Expected, c.says, name)
	}
	c := cfg("2026-01-01", "2026-02-01", contract.PartitionDay)
	c.MaxPartitions = 10
	_, err := Generate(c)
	assert.ErrorContains(t, err, "at most 10 day partitions")
}

func TestHundredThousandPartitionsCostNoMemory(t *testing.T) {
	p, err := New(cfg("2015-01-01", "2026-05-28", contract.PartitionHour))
	require.NoError(t, err)
	assert.Equal(t, 99_960, p.N)
	last := p.At(p.N - 1)
	assert.Equal(t, time.Date(2026, 5, 27, 23, 0, 0, 0, time.UTC), last.Start)
}

func TestSelect(t *testing.T) {
	p, err := New(cfg("2026-01-01", "2026-03-02", contract.PartitionDay))
	require.NoError(t, err)
	idx, err := p.Select([]string{"2026-02-01", "2026-01-10"})
	require.NoError(t, err)
	assert.Equal(t, []int{9, 31}, idx, "in plan order")
	_, err = p.Select([]string{"2026-01-10", "2026-13-01"})
	assert.ErrorContains(t, err, `got "2026-13-01"`)
}
