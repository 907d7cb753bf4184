package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/tui/internal/api"
	"github.com/matih/ops/tui/internal/hostiletest"
)

// hostileArg is the hostile text without its NUL, which no command line can carry.
var hostileArg = strings.ReplaceAll(hostiletest.Text, "\x00", "")

// sweepToken is the operate token `matih serve` takes in the sweep.
const sweepToken = "operate-sweep-token"

// sweep is what every case of the bad-input sweep runs against: a dev server, the
// real pipeline worker with the demo data, `matih serve`, and one run waiting at
// its approval gate for the signal and update cases.
type sweep struct {
	matih, worker string
	srv           *testkit.DevServer
	dataDir       string // the running worker's data directory
	api           string // base URL of matih serve
	gate          string // the run waiting for approval
	// allowed are the workflows the sweep meant to start; every other one in the
	// namespace was started by a case that should have been refused.
	allowed map[string]bool
}

// TestBadInputSweep feeds malformed input to every entry point: matih's flags and
// arguments, the configs `matih start -f` reads, the worker's flags and connections
// file, the Pipeline Service API's bodies, and signals and updates sent straight to
// a workflow. Each must answer with an error naming the field (or flag, argument)
// and what was expected, carrying no raw terminal controls, with nothing started
// and nothing written.
func TestBadInputSweep(t *testing.T) {
	s := newSweep(t)
	t.Run("cli", s.runCLI)
	t.Run("start-config", s.runConfigs)
	t.Run("api", s.runAPI)
	t.Run("worker-config", s.runWorker)
	t.Run("temporal-update", s.runUpdates)
	t.Run("temporal-signal", s.runSignals)
	t.Run("unknown-connection", s.runUnknownConnection)
	s.nothingStarted(t)
}

func newSweep(t *testing.T) *sweep {
	s := &sweep{matih: buildMatih(t), worker: testkit.Build(t, "github.com/matih/ops/worker-pipeline/cmd/worker-pipeline"), allowed: map[string]bool{}}
	demoData := testkit.Build(t, "github.com/matih/ops/worker-pipeline/cmd/demo-data")
	s.srv = testkit.StartDevServer(t)
	dir, examples := startRealWorkers(t, s.srv, demoData, s.worker)
	s.dataDir = filepath.Join(dir, ".data")

	pipelines := filepath.Join(dir, "pipelines")
	require.NoError(t, os.MkdirAll(pipelines, 0o700))
	example, err := os.ReadFile(filepath.Join(examples, "orders-low-quality.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(pipelines, "orders-low-quality.yaml"), example, 0o600))
	tokens := filepath.Join(dir, "tokens.yaml")
	require.NoError(t, os.WriteFile(tokens, []byte("tokens:\n  - {name: sweep, role: operate, sha256: "+api.Digest(sweepToken)+"}\n"), 0o600))
	addr := testkit.FreeAddr(t)
	startProcess(t, dir, nil, s.matih, append(s.conn(filepath.Join(dir, "serve-audit.log")), "serve", "--listen", addr, "--tokens", tokens, "--pipelines", pipelines)...)
	waitReady(t, addr)
	s.api = "http://" + addr

	out, err := exec.Command(s.matih, append(s.conn(filepath.Join(dir, "audit.log")), "start", "pipeline", "-f", filepath.Join(examples, "orders-low-quality.yaml"))...).CombinedOutput()
	require.NoError(t, err, string(out))
	s.gate = strings.TrimSpace(string(out))
	s.allowed[s.gate] = true
	require.Eventually(t, func() bool {
		d, err := s.status(s.gate)
		return err == nil && d.Phase == contract.PhaseAwaitingApproval
	}, 60*time.Second, 200*time.Millisecond, "the low-quality run waits for approval")
	return s
}

// conn is matih's connection flags with the given audit log.
func (s *sweep) conn(audit string) []string {
	return []string{"--address", s.srv.HostPort, "--namespace", s.srv.Namespace, "--audit-log", audit}
}

// status asks a run for its status document (the workflow's own `status` query).
func (s *sweep) status(id string) (status.Document, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var d status.Document
	v, err := s.srv.Client.QueryWorkflow(ctx, id, "", contract.QueryStatus)
	if err == nil {
		err = v.Get(&d)
	}
	return d, err
}

// gateUnchanged checks that the gate run still waits, undecided, having refused
// exactly refused signals.
func (s *sweep) gateUnchanged(t *testing.T, refused int) {
	t.Helper()
	d, err := s.status(s.gate)
	require.NoError(t, err)
	assert.Equal(t, contract.PhaseAwaitingApproval, d.Phase, "the gate run still waits")
	require.NotNil(t, d.Approval)
	assert.False(t, d.Approval.Decided, "nothing was decided: %+v", d.Approval)
	got := 0
	if d.RefusedSignals != nil {
		got = d.RefusedSignals.Count
	}
	assert.Equal(t, refused, got, "signals refused by the gate run")
}

// historyLength is how many events the gate run's history holds.
func (s *sweep) historyLength(t *testing.T) int64 {
	t.Helper()
	d, err := s.srv.Client.DescribeWorkflowExecution(context.Background(), s.gate, "")
	require.NoError(t, err)
	return d.GetWorkflowExecutionInfo().GetHistoryLength()
}

// exitCode runs cmd and returns its exit code, stdout and stderr.
func exitCode(t *testing.T, cmd *exec.Cmd) (int, string, string) {
	t.Helper()
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), out.String(), errb.String()
	}
	require.NoError(t, err)
	return 0, out.String(), errb.String()
}

// assertNamed checks that msg says each of want and carries no raw terminal control.
func assertNamed(t *testing.T, msg string, want ...string) {
	t.Helper()
	if msg != "" {
		t.Logf("said: %.300s", strings.TrimSpace(msg))
	}
	for _, w := range want {
		assert.Contains(t, msg, w)
	}
	assert.NoError(t, hostiletest.Unclean(strings.TrimRight(msg, "\n")), "the error echoes raw terminal controls")
}

// assertOnly checks that dir holds exactly the named entries: the command wrote
// nothing else.
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	assert.ElementsMatch(t, names, got, "files in the command's folder")
}

// nothingStarted lists the namespace: every workflow in it is one the sweep meant
// to start, or a child of one (its notifications).
func (s *sweep) nothingStarted(t *testing.T) {
	for range 2 { // once now, once after visibility had a moment to catch up
		time.Sleep(time.Second)
		resp, err := s.srv.Client.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Namespace: s.srv.Namespace, PageSize: 1000})
		require.NoError(t, err)
		require.NotEmpty(t, resp.GetExecutions(), "the gate run at least is listed")
		for _, e := range resp.GetExecutions() {
			id := e.GetExecution().GetWorkflowId()
			if s.allowed[id] || s.allowed[e.GetParentExecution().GetWorkflowId()] {
				continue
			}
			t.Errorf("a refused input started %s (%s, %s)", id, e.GetType().GetName(), enumspb.WorkflowExecutionStatus_name[int32(e.GetStatus())])
		}
	}
}

// decodeAPIError reads the API's one error shape.
func decodeAPIError(t *testing.T, body []byte) api.ErrorDetail {
	t.Helper()
	var e api.ErrorBody
	require.NoError(t, json.Unmarshal(body, &e), string(body))
	return e.Error
}

// runCLI runs each refused command line in a folder of its own: it exits with the
// documented code, says what is wrong, and writes nothing (no audit line unless
// the server refused the action).
func (s *sweep) runCLI(t *testing.T) {
	good := filepath.Join(t.TempDir(), "good.yaml")
	require.NoError(t, os.WriteFile(good, []byte(goodPipeline), 0o600))
	for _, c := range s.cliCases(good) {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			audit := filepath.Join(dir, "audit.log")
			cmd := exec.Command(s.matih, append(s.conn(audit), c.args...)...)
			cmd.Dir = dir
			code, out, errOut := exitCode(t, cmd)
			assert.Equal(t, c.exit, code, "exit code; stderr: %s", errOut)
			assertNamed(t, errOut, c.want...)
			assert.Empty(t, out, "nothing printed as done")
			if !c.audited {
				assertOnly(t, dir)
				return
			}
			assertOnly(t, dir, "audit.log")
			line, err := os.ReadFile(audit)
			require.NoError(t, err)
			assert.Contains(t, string(line), `"outcome":"error: not found`)
		})
	}
	s.gateUnchanged(t, 0)
}

// runConfigs starts each refused config: a usage error (exit 2) naming the field,
// with no audit line and nothing started.
func (s *sweep) runConfigs(t *testing.T) {
	for _, c := range configCases() {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, c.file), []byte(c.body), 0o600))
			cmd := exec.Command(s.matih, append(s.conn(filepath.Join(dir, "audit.log")), "start", c.kind, "-f", c.file)...)
			cmd.Dir = dir
			code, out, errOut := exitCode(t, cmd)
			assert.Equal(t, 2, code, "exit code; stderr: %.500s", errOut)
			assertNamed(t, errOut, c.want...)
			assert.Empty(t, out, "no workflow id printed")
			assertOnly(t, dir, c.file)
		})
	}
}

// runAPI posts each refused body with an operate token: the one error shape, with
// the field named and nothing echoed raw.
func (s *sweep) runAPI(t *testing.T) {
	for _, c := range s.apiCases() {
		t.Run(c.name, func(t *testing.T) {
			code, body := apiCall(t, "POST", s.api+c.path, sweepToken, c.body)
			assert.Equal(t, c.code, code, "%.500s", body)
			e := decodeAPIError(t, body)
			assert.Equal(t, c.field, e.Field, "%.500s", body)
			assertNamed(t, e.Message, c.want)
			assert.NoError(t, hostiletest.Unclean(e.Field), "the field echoes raw terminal controls")
		})
	}
	s.gateUnchanged(t, 0)
}

// runWorker starts the real worker with each refused setting: it exits 2 naming the
// flag or the connection's field, before it dials Temporal (here a listener that
// counts connections) and without creating its data directory.
func (s *sweep) runWorker(t *testing.T) {
	temporal := testkit.ListenCounting(t)
	for _, c := range workerCases() {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			dataDir := filepath.Join(dir, "data")
			args := append([]string{"--http-addr", testkit.FreeAddr(t)}, c.args...)
			if c.conns != "" {
				file := filepath.Join(dir, "connections.yaml")
				require.NoError(t, os.WriteFile(file, []byte(c.conns), 0o600))
				args = append(args, "--connections", file)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, s.worker, args...)
			cmd.Env = append(os.Environ(), append([]string{"TEMPORAL_ADDRESS=" + temporal.Addr, "TEMPORAL_NAMESPACE=" + s.srv.Namespace, "MATIH_DATA_DIR=" + dataDir}, c.env...)...)
			code, _, errOut := exitCode(t, cmd)
			assert.Equal(t, 2, code, "exit code; stderr: %s", errOut)
			// The error is the last line; a flag the parser refused is preceded by the usage.
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			last := lines[len(lines)-1]
			assert.True(t, strings.HasPrefix(last, "worker-pipeline: "), last)
			assertNamed(t, last, c.want...)
			assert.NotContains(t, errOut, "s3cret", "a password is echoed")
			assert.NoDirExists(t, dataDir, "the data directory was not created")
			assert.Zero(t, temporal.Count(), "the worker dialled Temporal")
		})
	}
}

// runUpdates sends each malformed `approval` update straight to the gate run: the
// workflow's validator (or its input decoding) rejects it, and a rejected update
// leaves nothing in history.
func (s *sweep) runUpdates(t *testing.T) {
	before := s.historyLength(t)
	for _, c := range updateCases() {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			h, err := s.srv.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: s.gate, UpdateName: contract.UpdateApproval,
				Args: []any{c.arg}, WaitForStage: client.WorkflowUpdateStageCompleted})
			if err == nil {
				err = h.Get(ctx, nil)
			}
			require.Error(t, err, "the update was accepted")
			assertNamed(t, err.Error(), c.want)
		})
	}
	assert.Equal(t, before, s.historyLength(t), "rejected updates leave no event in history")
	s.gateUnchanged(t, 0)
}

// runSignals sends each malformed signal straight to the gate run: the workflow
// records it as refused, with the field named, and keeps waiting undecided.
func (s *sweep) runSignals(t *testing.T) {
	refused := 0
	for _, c := range signalCases() {
		t.Run(c.name, func(t *testing.T) {
			require.NoError(t, s.srv.Client.SignalWorkflow(context.Background(), s.gate, "", c.signal, c.arg))
			refused++
			var d status.Document
			require.Eventually(t, func() bool {
				var err error
				d, err = s.status(s.gate)
				return err == nil && d.RefusedSignals != nil && d.RefusedSignals.Count == refused
			}, 10*time.Second, 100*time.Millisecond, "the signal is recorded as refused")
			assert.Equal(t, c.signal, d.RefusedSignals.Last.Name)
			assertNamed(t, d.RefusedSignals.Last.Reason, c.want)
			s.gateUnchanged(t, refused)
		})
	}
	t.Run("approval: a payload over 2 MB", func(t *testing.T) {
		err := s.srv.Client.SignalWorkflow(context.Background(), s.gate, "", contract.SignalApproval,
			map[string]any{"approved": true, "approver": "sweep", "reason": strings.Repeat("r", 2<<20)})
		require.Error(t, err, "the server took a signal over its size limit")
		assertNamed(t, err.Error(), "Blob data size exceeds limit")
		s.gateUnchanged(t, refused)
	})
	t.Run("approval to a 1,000-character id", func(t *testing.T) {
		err := s.srv.Client.SignalWorkflow(context.Background(), strings.Repeat("w", 1000), "", contract.SignalApproval,
			map[string]any{"approved": true, "approver": "sweep", "reason": "r"})
		require.Error(t, err)
		assertNamed(t, err.Error(), "workflow not found for ID: www")
	})
}
