package cli

import (
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
)

// codecBenchRequests is how many status requests each side of the codec benchmark
// measures.
const codecBenchRequests = 200

// BenchmarkStatusCodec measures GET status on `matih serve`, with a worker
// answering the status query, for a run of benchEvents events, on two stacks in
// one run: payloads plain, and payloads encrypted (shared/codec) in history, in the
// query's answer and in the fold. The codec's cost is codec/plain of the p50s
// (target at most 1.1). Run it with scripts/bench.sh api.
func BenchmarkStatusCodec(b *testing.B) {
	for i := 0; i < b.N; i++ {
		plain := statusP50(b)
		testkit.CodecKeys(b)
		encrypted := statusP50(b)
		b.ReportMetric(plain, "plain-p50-ms")
		b.ReportMetric(encrypted, "codec-p50-ms")
		b.ReportMetric(encrypted/plain, "codec/plain")
	}
}

// statusP50 is the p50 of codecBenchRequests status requests on a stack of its own,
// with whatever MATIH_CODEC_KEYS says when it is called.
func statusP50(b *testing.B) float64 {
	srv := testkit.StartDevServer(b)
	testkit.StartPipelineWorker(b, srv)
	a := testApp(b, srv.HostPort, srv.Namespace, filepath.Join(b.TempDir(), "audit.log"))
	base, shutdown := startServe(b, a, serveFlags{tokens: writeTokens(b), ratePerSecond: benchRate, burst: benchBurst})
	defer func() { _ = shutdown() }()
	id := "bench-codec"
	startWaiting(b, srv.Client, id, contract.PipelineQueue)
	fmt.Printf("%d events\n", growHistory(b, srv.Client, id, benchEvents))
	get := func() {
		req, _ := http.NewRequest("GET", base+"/v1/pipelines/workflows/"+id+"/status", nil)
		req.Header.Set("Authorization", "Bearer "+serveReadToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("status of %s: %v %v", id, err, resp)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	for range 20 { // the first read folds the whole history; the rest warm up
		get()
	}
	d := make([]time.Duration, 0, codecBenchRequests)
	for range codecBenchRequests {
		start := time.Now()
		get()
		d = append(d, time.Since(start))
	}
	return testkit.QuantileMs(d, 0.50)
}
