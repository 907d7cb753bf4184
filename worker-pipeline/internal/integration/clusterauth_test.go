package integration

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/matih/ops/shared/clusterauth"
	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
)

// TestClusterRoles tries every kind of caller against the secure production-like
// server (TLS with client certificates, the stock JWT claim mapper and default
// authorizer): what each may do, and that everything else is refused by the server.
func TestClusterRoles(t *testing.T) {
	srv := testkit.StartPostgresServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	quiet := sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))

	// No client certificate: the TLS handshake fails before any call.
	noCert := srv.TLS(t, "console").Clone()
	noCert.Certificates = nil
	_, err := client.Dial(client.Options{HostPort: srv.HostPort, Namespace: srv.Namespace, Logger: quiet,
		ConnectionOptions: client.ConnectionOptions{TLS: noCert}})
	require.Error(t, err, "a client without a certificate must not connect")
	// No TLS at all.
	_, err = client.Dial(client.Options{HostPort: srv.HostPort, Namespace: srv.Namespace, Logger: quiet})
	require.Error(t, err, "a plaintext client must not connect")

	// A certificate but no token: connected, and refused on every call.
	anon, err := client.Dial(client.Options{HostPort: srv.HostPort, Namespace: srv.Namespace, Logger: quiet,
		ConnectionOptions: client.ConnectionOptions{TLS: srv.TLS(t, "console")}})
	require.NoError(t, err)
	defer anon.Close()

	// A run for the callers to act on, started by the operator.
	op := srv.Client
	run, err := op.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "roles-target", TaskQueue: "roles-nobody-polls"}, "Nothing")
	require.NoError(t, err)
	defer op.TerminateWorkflow(context.Background(), run.GetID(), "", "test over")

	reader := srv.Dial(t, "reader", "console")
	worker := srv.Dial(t, "worker", "worker-pipeline")
	forged := dialToken(t, srv, foreignToken(t, clusterauth.RoleWriter, time.Now()))
	expired := dialToken(t, srv, issued(t, srv, clusterauth.RoleWriter, time.Now().Add(-48*time.Hour)))

	for name, c := range map[string]client.Client{"no token": anon, "a token signed by an unknown key": forged, "an expired token": expired} {
		t.Run(name, func(t *testing.T) {
			denied(t, listErr(ctx, c), "list")
			denied(t, startErr(ctx, c), "start")
			denied(t, c.SignalWorkflow(ctx, run.GetID(), "", contract.SignalCancel, nil), "signal")
			denied(t, approveErr(ctx, c, run.GetID()), "approval update")
			denied(t, c.TerminateWorkflow(ctx, run.GetID(), "", "no"), "terminate")
		})
	}
	t.Run("reader", func(t *testing.T) {
		require.NoError(t, listErr(ctx, reader), "a reader lists")
		_, err := reader.DescribeWorkflowExecution(ctx, run.GetID(), "")
		require.NoError(t, err, "a reader reads a run")
		denied(t, startErr(ctx, reader), "start")
		denied(t, reader.SignalWorkflow(ctx, run.GetID(), "", contract.SignalCancel, nil), "signal")
		denied(t, approveErr(ctx, reader, run.GetID()), "approval update")
		denied(t, reader.CancelWorkflow(ctx, run.GetID(), ""), "cancel")
		denied(t, reader.TerminateWorkflow(ctx, run.GetID(), "", "no"), "terminate")
	})
	t.Run("worker", func(t *testing.T) {
		// Polling needs namespace write in the stock authorizer: the worker role is
		// write on its namespace, and nothing on the cluster.
		require.NoError(t, listErr(ctx, worker))
		_, err := worker.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: srv.Namespace})
		denied(t, err, "add search attributes")
		_, err = worker.WorkflowService().UpdateNamespace(ctx, &workflowservice.UpdateNamespaceRequest{Namespace: srv.Namespace})
		denied(t, err, "update the namespace")
		_, err = worker.WorkflowService().GetClusterInfo(ctx, &workflowservice.GetClusterInfoRequest{})
		denied(t, err, "cluster info")
	})
	t.Run("operator", func(t *testing.T) {
		require.NoError(t, listErr(ctx, op))
		other, err := op.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "roles-operator", TaskQueue: "roles-nobody-polls"}, "Nothing")
		require.NoError(t, err)
		require.NoError(t, op.SignalWorkflow(ctx, other.GetID(), "", contract.SignalCancel, nil))
		require.NoError(t, op.TerminateWorkflow(ctx, other.GetID(), "", "operator test"))
		_, err = op.WorkflowService().UpdateNamespace(ctx, &workflowservice.UpdateNamespaceRequest{Namespace: srv.Namespace})
		denied(t, err, "the operator acts on runs, not on the namespace")
	})
}

func denied(t *testing.T, err error, what string) {
	t.Helper()
	var pd *serviceerror.PermissionDenied
	assert.True(t, errors.As(err, &pd), "%s: expected PermissionDenied from the server, got %v", what, err)
}

func listErr(ctx context.Context, c client.Client) error {
	_, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{PageSize: 1})
	return err
}

func startErr(ctx context.Context, c client.Client) error {
	_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "roles-refused", TaskQueue: contract.PipelineQueue}, contract.DataPipelineWorkflow)
	return err
}

func approveErr(ctx context.Context, c client.Client, id string) error {
	yes := true
	_, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: contract.UpdateApproval,
		Args: []any{contract.ApprovalInput{Approved: &yes, Approver: "mallory", Reason: "forged"}}, WaitForStage: client.WorkflowUpdateStageAccepted})
	return err
}

// issued is a token from the server's own signing keys, issued at now for an hour.
func issued(t *testing.T, srv *testkit.DevServer, role string, now time.Time) string {
	tok, err := clusterauth.KeyDir(srv.Credentials+"/auth").Issue(clusterauth.Token{Subject: "test-" + role, Role: role, Namespace: srv.Namespace, TTL: time.Hour}, now)
	require.NoError(t, err)
	return tok
}

// foreignToken is a well-formed token signed by a key the server does not trust.
func foreignToken(t *testing.T, role string, now time.Time) string {
	dir := clusterauth.KeyDir(t.TempDir())
	_, err := dir.NewKey(now)
	require.NoError(t, err)
	tok, err := dir.Issue(clusterauth.Token{Subject: "mallory", Role: role, Namespace: contract.DefaultNamespace, TTL: time.Hour}, now)
	require.NoError(t, err)
	return tok
}

// dialToken makes a client with the console's certificate and the given token. It
// is lazy: the server refuses a bad token on the first call, Dial's own included.
func dialToken(t *testing.T, srv *testkit.DevServer, token string) client.Client {
	c, err := client.NewLazyClient(client.Options{HostPort: srv.HostPort, Namespace: srv.Namespace,
		Logger:            sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)),
		ConnectionOptions: client.ConnectionOptions{TLS: srv.TLS(t, "console")},
		Credentials:       client.NewAPIKeyStaticCredentials(token)})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}
