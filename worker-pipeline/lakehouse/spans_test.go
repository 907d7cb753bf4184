package lakehouse

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestSpansJoinPartitionsThatMeet(t *testing.T) {
	h := func(n int) time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Hour) }
	parts := []PartitionRange{{Start: h(3), End: h(4)}, {Start: h(0), End: h(1)}, {Start: h(1), End: h(2)}, {Start: h(5), End: h(6)}, {Start: h(2), End: h(3)}}
	assert.Equal(t, []PartitionRange{{Start: h(0), End: h(4)}, {Start: h(5), End: h(6)}}, spans(parts), "a gap keeps two ranges")
	assert.Empty(t, spans(nil))
}
