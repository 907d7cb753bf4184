package testkit

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/matih/ops/shared/contract"
)

// DurableDevServer is a dev server that keeps its state in a SQLite file, so a test
// can kill it and start it again on the same port: to its clients and workers that
// looks like a cluster restart, and every workflow is still there afterwards.
type DurableDevServer struct {
	DevServer
	t     testing.TB
	args  []string
	dir   string
	proc  *Process
	cli   string
	ready time.Duration
}

// StartDurableDevServer starts one on free ports, with the matih namespace and
// search attributes, and stops it when the test ends.
func StartDurableDevServer(t testing.TB) *DurableDevServer {
	t.Helper()
	ports := freePorts(t, 3)
	dir := t.TempDir()
	args := []string{"server", "start-dev", "--db-filename", filepath.Join(dir, "temporal.db"), "--port", ports[0],
		"--http-port", ports[1], "--metrics-port", ports[2], "--headless", "--log-level", "error",
		"--namespace", contract.DefaultNamespace,
		"--dynamic-config-value", `matching.wv.VersionDrainageStatusRefreshInterval="2s"`,
		"--dynamic-config-value", `matching.wv.VersionDrainageStatusVisibilityGracePeriod="2s"`}
	for name, typ := range contract.SearchAttributeTypes {
		args = append(args, "--search-attribute", name+"="+typ)
	}
	d := &DurableDevServer{t: t, args: args, dir: dir, cli: TemporalCLI(t), ready: time.Minute}
	d.HostPort, d.Namespace = "127.0.0.1:"+ports[0], contract.DefaultNamespace
	// A lazy client connects on first use and reconnects after a restart: the same
	// one serves the test and the readiness checks.
	c, err := client.NewLazyClient(client.Options{HostPort: d.HostPort, Namespace: d.Namespace, DataConverter: dataConverter(t),
		Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatalf("testkit: client for the durable dev server: %v", err)
	}
	d.Client = c
	t.Cleanup(c.Close)
	d.start()
	return d
}

// Restart kills the server (SIGKILL: nothing is flushed on purpose), leaves it down
// for down, and starts it again from its file.
func (d *DurableDevServer) Restart(down time.Duration) {
	d.t.Helper()
	d.proc.Kill()
	time.Sleep(down)
	d.start()
}

// Down kills the server (SIGKILL) and leaves it down until Up.
func (d *DurableDevServer) Down() { d.proc.Kill() }

// Up starts the server again from its file, on the same port.
func (d *DurableDevServer) Up() {
	d.t.Helper()
	d.start()
}

// start runs the server and waits until its frontend answers a health check.
func (d *DurableDevServer) start() {
	d.t.Helper()
	d.proc = Start(d.t, d.cli, d.args, nil, d.dir)
	deadline := time.Now().Add(d.ready)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := d.Client.CheckHealth(ctx, &client.CheckHealthRequest{})
		if err == nil {
			_, err = d.Client.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: d.Namespace})
		}
		cancel()
		if err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	d.t.Fatalf("testkit: the durable dev server on %s did not answer within %s", d.HostPort, d.ready)
}
