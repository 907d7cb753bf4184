package testkit

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// The commands of the pipeline worker and of the demo's data, built by path so that
// testkit depends on no worker module.
const (
	pipelineWorkerPkg = "github.com/matih/ops/worker-pipeline/cmd/worker-pipeline"
	demoDataPkg       = "github.com/matih/ops/worker-pipeline/cmd/demo-data"
)

// The demo's sources, as scripts/dev.sh installs them (worker-pipeline/examples/
// connections.yaml): 2,000 orders each, in the dirty one a quarter of them without
// an amount.
const (
	DemoClean = "demo_orders_clean"
	DemoDirty = "demo_orders_dirty"
)

// PipelineWorker is the real worker-pipeline process, serving the pipeline queue of
// a test server with the demo's sources. Tests of the console and the API run the
// product's own workflow on it, so what they read is what production records.
type PipelineWorker struct {
	*Process
	DataDir, HTTPAddr string
}

// StartPipelineWorker builds and starts worker-pipeline against srv with a data
// directory of its own (staging, the Iceberg catalog and the demo's sources), and
// makes its build the current version, so runs reach it. env is added to its
// environment (for example the client credentials of a cluster). It stops when the
// test ends.
func StartPipelineWorker(t testing.TB, srv *DevServer, env ...string) *PipelineWorker {
	t.Helper()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	demo := Build(t, demoDataPkg)
	for path, nulls := range map[string]string{"demo/orders-clean.db": "0", "demo/orders-dirty.db": "0.25"} {
		if out, err := exec.Command(demo, "--out", filepath.Join(data, path), "--rows", "2000", "--null-rate", nulls).CombinedOutput(); err != nil {
			t.Fatalf("testkit: demo data %s: %v\n%s", path, err, out)
		}
	}
	conns, err := os.ReadFile(filepath.Join(RepoRoot(t), "worker-pipeline", "examples", "connections.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "connections.yaml"), conns, 0o600); err != nil {
		t.Fatal(err)
	}
	addr := FreeAddr(t)
	p := StartIn(t, dir, Build(t, pipelineWorkerPkg), []string{"--address", srv.HostPort, "--namespace", srv.Namespace,
		"--data-dir", data, "--http-addr", addr, "--stop-timeout", "1s", "--log-level", "warn"}, env, dir)
	p.WaitReady(t, addr, 60*time.Second)
	PromoteReady(t, srv.Client, addr)
	return &PipelineWorker{Process: p, DataDir: data, HTTPAddr: addr}
}
