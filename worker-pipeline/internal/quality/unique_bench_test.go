package quality

import (
	"os"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/matih/ops/shared/testkit"
)

// BenchmarkUniqueCheck runs the unique check over MATIH_BENCH_UNIQUE_KEYS keys
// (50,000,000) of (id, region) with 1% duplicates, under a setting of
// MATIH_BENCH_UNIQUE_MIB (64), and reports what the check added to the process's
// peak RSS against the setting (target: at most 1) and keys/s.
// Run it alone with scripts/bench.sh quality: the peak is the process's.
func BenchmarkUniqueCheck(b *testing.B) {
	n := testkit.EnvInt(b, "MATIH_BENCH_UNIQUE_KEYS", 50_000_000, 1000)
	mib := testkit.EnvInt(b, "MATIH_BENCH_UNIQUE_MIB", 64, 16)
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "region", Type: arrow.BinaryTypes.String}}, nil)
	base := peakRSSMiB(b) // the test process before the check: not the check's
	for i := 0; i < b.N; i++ {
		start := time.Now()
		u := newUnique([]int{0, 1}, int64(mib)<<20, b.TempDir(), newSampler(5))
		bld := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		ids, regions := bld.Field(0).(*array.Int64Builder), bld.Field(1).(*array.StringBuilder)
		for k := 0; k < n; k++ {
			id := int64(k)
			if k%100 == 99 {
				id = int64(k - 1) // a duplicate of the row before
			}
			ids.Append(id)
			regions.Append([]string{"eu-west", "us-east", "ap-south"}[id%3])
			if (k+1)%8192 == 0 || k == n-1 {
				rec := bld.NewRecordBatch()
				u.observe(rec)
				rec.Release()
			}
		}
		bld.Release()
		if err := u.finish(); err != nil {
			b.Fatal(err)
		}
		res := u.result(int64(n))
		u.close()
		if res.FailedRows != int64(n/100) {
			b.Fatalf("found %d duplicates, want %d: %s", res.FailedRows, n/100, res.Detail)
		}
		secs := time.Since(start).Seconds()
		peak := peakRSSMiB(b)
		b.ReportMetric(float64(n)/secs, "keys/s")
		b.ReportMetric(peak, "peak-rss-MiB")
		b.ReportMetric(base, "baseline-rss-MiB")
		b.ReportMetric(float64(mib), "setting-MiB")
		b.ReportMetric((peak-base)/float64(mib), "check-rss/setting")
	}
}

// peakRSSMiB is this process's peak resident memory (VmHWM).
func peakRSSMiB(b *testing.B) float64 {
	_, peak := testkit.Resident(b, os.Getpid())
	return float64(peak) / (1 << 20)
}
