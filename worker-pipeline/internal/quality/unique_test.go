package quality

import (
	"fmt"
	"os"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// keyBatches are n rows of (id int64, region string) in batches of 4096: id repeats
// every `every` rows' worth of distinct ids (so n - distinct rows are duplicates),
// and every 1000th region is null.
func keyBatches(t testing.TB, n, distinct int) []arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "region", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	var out []arrow.RecordBatch
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i := 0; i < n; i++ {
		k := i % distinct
		b.Field(0).(*array.Int64Builder).Append(int64(k))
		if k%1000 == 0 {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("r%d", k%7))
		}
		if (i+1)%4096 == 0 || i == n-1 {
			out = append(out, b.NewRecordBatch())
		}
	}
	return out
}

func runUnique(t *testing.T, batches []arrow.RecordBatch, limit int64, dir string) (*unique, int64) {
	u := newUnique([]int{0, 1}, limit, dir, newSampler(3))
	var total int64
	for _, r := range batches {
		u.observe(r)
		total += r.NumRows()
	}
	require.NoError(t, u.finish())
	return u, total
}

// TestUniqueSpillsAndCountsTheSame: a limit far below the keys' size spills them to
// partition files (and splits partitions again), and finds exactly the duplicates
// the in-memory check finds; the files are gone afterwards.
func TestUniqueSpillsAndCountsTheSame(t *testing.T) {
	batches := keyBatches(t, 200_000, 150_000)
	mem, total := runUnique(t, batches, 1<<30, t.TempDir())
	require.Nil(t, mem.spill, "a large limit never spills")
	want := mem.result(total)
	assert.Equal(t, int64(50_000), want.FailedRows)
	assert.Contains(t, want.Detail, "(150000 distinct)")

	for name, limit := range map[string]int64{"spilled": 2 << 20, "split again": 64 << 10} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			u, _ := runUnique(t, batches, limit, dir)
			require.NotNil(t, u.spill, "the keys passed the limit")
			got := u.result(total)
			assert.Equal(t, want.FailedRows, got.FailedRows)
			assert.Equal(t, want.Detail, got.Detail)
			assert.False(t, got.Passed)
			require.NotEmpty(t, got.Samples)
			assert.Regexp(t, `^\d+, (r\d|\(null\))$`, got.Samples[0], "a sample shows the key's values")
			u.close()
			left, err := os.ReadDir(dir)
			require.NoError(t, err)
			assert.Empty(t, left, "the spill files are removed")
		})
	}
}

func TestUniqueKeysAreUnambiguous(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.BinaryTypes.String, Nullable: true}, {Name: "b", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	// ("a\x1fb", "") and ("a", "b\x1f") joined by a separator would collide, as
	// would a null and the text "(null)".
	for _, row := range [][2]*string{{ptr("a\x1fb"), ptr("")}, {ptr("a"), ptr("\x1fb")}, {nil, ptr("x")}, {ptr("(null)"), ptr("x")}} {
		for j, v := range row {
			if v == nil {
				b.Field(j).AppendNull()
			} else {
				b.Field(j).(*array.StringBuilder).Append(*v)
			}
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	u := newUnique([]int{0, 1}, 0, t.TempDir(), newSampler(3))
	u.observe(rec)
	require.NoError(t, u.finish())
	assert.Zero(t, u.result(4).FailedRows, "four different keys")
}

func ptr(s string) *string { return &s }
