package integration

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/matih/ops/shared/codec"
	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/shared/statusread"
	"github.com/matih/ops/shared/testkit"
)

// keyFile writes key lines to a 0600 file, the last one encrypting.
func keyFile(t *testing.T, name string, lines ...string) string {
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600))
	return path
}

func codecClient(t *testing.T, s *stack, keys string) (client.Client, *codec.Ring) {
	ring, err := codec.LoadRing(keys)
	require.NoError(t, err)
	return s.srv.DialWith(t, "writer", "operator", codec.DataConverter(ring)), ring
}

// TestAnEncryptedRunShowsNoRowDataInHistoryAndSurvivesAKeyRotation runs a pipeline
// whose quality check fails with every payload encrypted: it waits for approval
// under key k1, the workers restart with k2 as the encrypting key, the run is
// approved and completes. Read without the keys, its history holds no sample value,
// no source value and no approval reason; read with them, the status shows them all.
func TestAnEncryptedRunShowsNoRowDataInHistoryAndSurvivesAKeyRotation(t *testing.T) {
	if testing.Short() {
		t.Skip("integration: worker process against a dev server")
	}
	encryptedRunScenario(t, testkit.StartDevServer(t))
}

// TestAnEncryptedRunOnTheSecureServer is the same run on the production-like server
// with TLS and authorization on: the workers hold worker tokens, the operator
// approves, and history read without the keys holds no row data.
func TestAnEncryptedRunOnTheSecureServer(t *testing.T) {
	if testing.Short() {
		t.Skip("integration: worker process against the server on PostgreSQL")
	}
	encryptedRunScenario(t, testkit.StartPostgresServer(t))
}

func encryptedRunScenario(t *testing.T, srv *testkit.DevServer) {
	k1, err := codec.NewKey("k1")
	require.NoError(t, err)
	k2, err := codec.NewKey("k2")
	require.NoError(t, err)
	before := keyFile(t, "keys-1", k1)
	after := keyFile(t, "keys-2", k1, k2)

	s := newStackWithoutNotify(t, srv)
	c1, _ := codecClient(t, s, before)
	s.notified.start(t, c1)
	w := s.startWorker(t, []string{codec.EnvKeys + "=" + before})
	dirty, _ := s.source(t, 400, 0.3)
	ctx := context.Background()
	id := "pipeline-encrypted"
	run, err := c1.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: contract.PipelineQueue}, contract.DataPipelineWorkflow,
		cfgFor(dirty, "analytics.encrypted"))
	require.NoError(t, err)
	waiting := waitPhase(t, c1, id, contract.PhaseAwaitingApproval)
	var samples []string
	for _, ch := range waiting.Quality.Checks {
		samples = append(samples, ch.Samples...)
	}
	require.NotEmpty(t, samples, "the failing check carries samples of the rows it failed on")

	// Rotation: the workers restart with k2 encrypting and k1 still readable.
	w.Stop()
	s.startWorker(t, []string{codec.EnvKeys + "=" + after})
	c2, ring2 := codecClient(t, s, after)
	reason := "nulls checked against the source by hand, ticket OPS-4411"
	assert.True(t, approve(t, c2, id, "ana@bastion", reason).Approved)
	var res contract.PipelineResult
	require.NoError(t, c2.GetWorkflow(ctx, id, run.GetRunID()).Get(ctx, &res))
	assert.Equal(t, contract.StatusCompleted, res.Status)

	// Without the keys: nothing of the rows or the decision, in any encoding.
	raw := rawHistory(t, s.srv.Client, id)
	secrets := append([]string{reason, "order_id=", "amount is null"}, samples...)
	for _, secret := range secrets {
		assert.NotContains(t, raw, secret)
		assert.NotContains(t, raw, base64.StdEncoding.EncodeToString([]byte(secret)))
	}
	for _, k := range []string{"k1", "k2"} {
		assert.Contains(t, raw, base64.StdEncoding.EncodeToString([]byte(k)), "payloads under %s", k)
	}

	// With them: the status document shows the evidence and the decision.
	doc, err := statusread.BuildWith(ctx, c2, id, "", statusread.Options{DataConverter: codec.DataConverter(ring2), QueryTimeout: -1})
	require.NoError(t, err)
	assert.Equal(t, status.WorkflowCompleted, doc.Status)
	require.NotNil(t, doc.Approval)
	assert.Equal(t, reason, doc.Approval.Reason, "the decision, decrypted from history")

	// A reader holding only k2 is told which key it lacks.
	onlyK2, err := codec.LoadRing(keyFile(t, "keys-3", k2))
	require.NoError(t, err)
	var cfg contract.PipelineConfig
	err = codec.DataConverter(onlyK2).FromPayloads(startInput(t, s.srv.Client, id), &cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `key "k1"`)
}

// rawHistory is the run's history as protobuf JSON, read without any key.
func rawHistory(t *testing.T, c client.Client, id string) string {
	var h historypb.History
	it := c.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		h.Events = append(h.Events, e)
	}
	b, err := protojson.Marshal(&h)
	require.NoError(t, err)
	return string(b)
}

// startInput is the run's input payloads as history holds them.
func startInput(t *testing.T, c client.Client, id string) *commonpb.Payloads {
	it := c.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	require.True(t, it.HasNext())
	e, err := it.Next()
	require.NoError(t, err)
	return e.GetWorkflowExecutionStartedEventAttributes().GetInput()
}
