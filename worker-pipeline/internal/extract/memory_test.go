package extract

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/worker-pipeline/internal/staging/stagingtest"
)

// peakHeap runs fn while sampling the live heap every few milliseconds.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	var peak uint64
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		for {
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			mu.Lock()
			peak = max(peak, ms.HeapAlloc)
			mu.Unlock()
		}
	}()
	fn()
	close(done)
	mu.Lock()
	defer mu.Unlock()
	return peak
}

func extractPeak(t testing.TB, rows int) (uint64, int64) {
	peak, n, _ := timedExtract(t, rows)
	return peak, n
}

// timedExtract builds a source of rows and extracts it, reporting the peak heap and
// the extraction's own duration.
func timedExtract(t testing.TB, rows int) (uint64, int64, time.Duration) {
	db := demoDB(t, rows, 0.05)
	var res contract.ExtractionResult
	start := time.Now()
	peak := peakHeap(func() {
		var err error
		res, err = (&Extractor{Store: stagingtest.Store(t), Connections: conns(t, db)}).Extract(context.Background(), input(db), Progress{}, nil)
		require.NoError(t, err)
	})
	return peak, res.Rows, time.Since(start)
}

// TestMemoryStaysFlatWithTableSize extracts 100k and 1M rows and compares the peak
// heap: streaming keeps it flat, so ten times the rows may not double it.
func TestMemoryStaysFlatWithTableSize(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 1M-row source")
	}
	small, n1 := extractPeak(t, 100_000)
	large, n2 := extractPeak(t, 1_000_000)
	require.Equal(t, int64(1_000_000), n2)
	t.Logf("peak heap: %d rows %.1f MiB, %d rows %.1f MiB (ratio %.2f)", n1, mib(small), n2, mib(large), float64(large)/float64(small))
	require.Less(t, float64(large)/float64(small), 2.0, "peak heap grew with the table")
}

// BenchmarkExtract1M reports rows/s and the peak heap for a 1M-row table.
func BenchmarkExtract1M(b *testing.B) {
	for i := 0; i < b.N; i++ {
		peak, rows, took := timedExtract(b, 1_000_000)
		b.ReportMetric(float64(rows)/took.Seconds(), "rows/s")
		b.ReportMetric(mib(peak), "peak-MiB")
	}
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
