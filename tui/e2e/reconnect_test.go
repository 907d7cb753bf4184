package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/testkit"
)

// TestClientsReconnectThroughTheBalancerWhenAFrontendDies: on the Temporal cluster
// (two frontends behind haproxy, TLS, authorization), the console in tmux, `matih
// watch` and `matih serve` hold their connections while a low-quality run waits.
// Each frontend in turn is SIGKILLed and started again. None of the three is
// restarted: the API keeps answering the run's status (its longest gap is
// reported), the console still approves the run by keys, and watch, streaming all
// along, sees it complete and exits 0.
func TestClientsReconnectThroughTheBalancerWhenAFrontendDies(t *testing.T) {
	if testing.Short() {
		t.Skip("a Temporal cluster of separate processes on PostgreSQL")
	}
	needTmux(t)
	bin := buildMatih(t)
	pipelineWorker := testkit.Build(t, "github.com/matih/ops/worker-pipeline/cmd/worker-pipeline")
	demoData := testkit.Build(t, "github.com/matih/ops/worker-pipeline/cmd/demo-data")
	cl := testkit.StartPostgresCluster(t)
	dir, examples := startRealWorkers(t, cl.DevServer, demoData, pipelineWorker)

	operator := cl.ClientEnv(t, "writer", "operator")
	conn := []string{"--address", cl.HostPort, "--namespace", cl.Namespace, "--audit-log", filepath.Join(dir, "audit.log")}
	matih := func(env []string, args ...string) *exec.Cmd {
		cmd := exec.Command(bin, append(conn, args...)...)
		cmd.Env = append(cmd.Environ(), env...)
		return cmd
	}
	out, err := matih(operator, "start", "pipeline", "-f", filepath.Join(examples, "orders-low-quality.yaml")).CombinedOutput()
	require.NoError(t, err, string(out))
	id := strings.TrimSpace(string(out))

	// matih watch, streaming the run's changes until it ends.
	var watchOut bytes.Buffer
	watch := matih(cl.ClientEnv(t, "reader", "console"), "watch", id)
	watch.Stdout, watch.Stderr = &watchOut, &watchOut
	require.NoError(t, watch.Start())
	watched := make(chan error, 1)
	go func() { watched <- watch.Wait() }()
	t.Cleanup(func() { _ = watch.Process.Kill() })

	// matih serve, and a client polling the run's status every 500 ms.
	addr := testkit.FreeAddr(t)
	startProcess(t, dir, cl.ClientEnv(t, "reader", "serve"), bin, append(conn, "serve", "--listen", addr)...)
	waitReady(t, addr)
	poll := startStatusPoller(t, "http://"+addr+"/v1/pipelines/workflows/"+id+"/status")

	// The console, waiting on the run in its approvals inbox.
	var envs []string
	for _, kv := range operator {
		envs = append(envs, "'"+kv+"'")
	}
	x := newTmux(t, "reconnect", fmt.Sprintf("env %s %s %s; sleep 30", strings.Join(envs, " "), bin, strings.Join(conn, " ")))
	x.waitFor(90*time.Second, "APPROVALS · 1 waiting")

	for _, fe := range []string{testkit.NodeFrontend1, testkit.NodeFrontend2} {
		cl.Kill(t, fe)
		time.Sleep(8 * time.Second) // past a refresh of the console and a poll of watch
		cl.Start(t, fe)
		time.Sleep(3 * time.Second)
	}
	failed, longest := poll.stop()
	t.Logf("status API while the frontends died: %d failed requests, longest gap %s", failed, longest)
	assert.Less(t, longest, 10*time.Second, "the API answers again within one refresh of a frontend dying")

	x.keys("a")
	x.waitFor(15*time.Second, "Approve this run")
	x.text("approved after the frontends came back")
	x.keys("Enter")
	x.waitFor(30*time.Second, "approved ")
	x.quit()

	select {
	case err := <-watched:
		assert.NoError(t, err, "watch sees the run complete:\n%s", watchOut.String())
		assert.Contains(t, watchOut.String(), "COMPLETED")
	case <-time.After(3 * time.Minute):
		t.Fatalf("watch did not end with the run:\n%s", watchOut.String())
	}
}

// statusPoller asks for a URL every 500 ms and keeps the longest time without a
// 200 answer.
type statusPoller struct {
	mu      sync.Mutex
	failed  int
	longest time.Duration
	done    chan struct{}
	wg      sync.WaitGroup
}

func startStatusPoller(t *testing.T, url string) *statusPoller {
	p := &statusPoller{done: make(chan struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		lastOK := time.Now()
		client := &http.Client{Timeout: 5 * time.Second}
		for {
			select {
			case <-p.done:
				return
			case <-time.After(500 * time.Millisecond):
			}
			resp, err := client.Get(url)
			ok := err == nil && resp.StatusCode == http.StatusOK
			if err == nil {
				resp.Body.Close()
			}
			p.mu.Lock()
			if ok {
				p.longest = max(p.longest, time.Since(lastOK))
				lastOK = time.Now()
			} else {
				p.failed++
			}
			p.mu.Unlock()
		}
	}()
	t.Cleanup(func() { p.stop() })
	return p
}

func (p *statusPoller) stop() (int, time.Duration) {
	select {
	case <-p.done:
	default:
		close(p.done)
	}
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.failed, p.longest
}
