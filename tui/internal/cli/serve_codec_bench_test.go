package cli

import (
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/matih/ops/shared/codec"
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
// (target at most 1.1). Each round's stack is stopped before the next starts, and
// the rounds go plain, encrypted, encrypted, plain, so neither side runs beside
// the other's server or always second. Run it with scripts/bench.sh api.
func BenchmarkStatusCodec(b *testing.B) {
	for i := 0; i < b.N; i++ {
		plain := statusTimes(b, false)
		encrypted := append(statusTimes(b, true), statusTimes(b, true)...)
		plain = append(plain, statusTimes(b, false)...)
		p, e := testkit.QuantileMs(plain, 0.50), testkit.QuantileMs(encrypted, 0.50)
		b.ReportMetric(p, "plain-p50-ms")
		b.ReportMetric(e, "codec-p50-ms")
		b.ReportMetric(e/p, "codec/plain")
	}
}

// statusTimes times codecBenchRequests status requests on a stack of its own, with
// payloads encrypted or not; the stack is stopped when it returns.
func statusTimes(b *testing.B, encrypted bool) []time.Duration {
	round := testkit.NewScope(b)
	defer round.Close()
	if encrypted {
		testkit.CodecKeys(round)
	} else {
		round.Setenv(codec.EnvKeys, "")
	}
	srv := testkit.StartDevServer(round)
	testkit.StartPipelineWorker(round, srv)
	a := testApp(round, srv.HostPort, srv.Namespace, filepath.Join(b.TempDir(), "audit.log"))
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
	return d
}
