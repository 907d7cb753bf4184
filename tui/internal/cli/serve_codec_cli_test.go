package cli

import (
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/matih/ops/shared/testkit"
)

// TestTheStockCLIShowsDecodedPayloadsOnlyThroughServe reads an encrypted run's
// history with the stock temporal CLI: without a codec endpoint it shows no value
// of the input; pointed at matih serve's codec server with a read token, it shows
// them; with no token, serve refuses and the CLI shows nothing decoded.
func TestTheStockCLIShowsDecodedPayloadsOnlyThroughServe(t *testing.T) {
	if testing.Short() {
		t.Skip("integration: dev server, matih serve and the temporal CLI")
	}
	testkit.CodecKeys(t)
	srv := testkit.StartDevServer(t)
	a := testApp(t, srv.HostPort, srv.Namespace, filepath.Join(t.TempDir(), "audit.log"))
	base, shutdown := startServe(t, a, serveFlags{tokens: writeTokens(t)})
	defer func() { _ = shutdown() }()

	secret := "customer_email=ana.lopez@example.com"
	id := "codec-cli-run"
	_, err := srv.Client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: id, TaskQueue: "codec-cli-nobody-polls"},
		"Nothing", map[string]string{"sample": secret})
	require.NoError(t, err)
	defer srv.Client.TerminateWorkflow(context.Background(), id, "", "test over")

	show := func(extra ...string) (string, error) {
		args := append([]string{"workflow", "show", "-w", id, "-o", "json", "--address", srv.HostPort, "--namespace", srv.Namespace}, extra...)
		cmd := exec.Command(testkit.TemporalCLI(t), args...)
		cmd.Env = cleanTemporalEnv()
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	// The CLI's JSON shows payload bytes in base64.
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	plain := b64(`{"sample":"` + secret + `"}`)
	raw, err := show()
	require.NoError(t, err, raw)
	assert.NotContains(t, raw, plain, "without the codec server the history holds only ciphertext")
	assert.Contains(t, raw, b64("binary/encrypted"), "the payloads are marked encrypted")

	decoded, err := show("--codec-endpoint", base+"/codec", "--codec-auth", "Bearer "+serveReadToken)
	require.NoError(t, err, decoded)
	assert.Contains(t, decoded, plain, "a reader of matih serve sees the input decoded")
	assert.Contains(t, decoded, b64("json/plain"))

	refused, _ := show("--codec-endpoint", base+"/codec")
	assert.NotContains(t, refused, plain, "without a token matih serve decodes nothing")
}

// cleanTemporalEnv is the test's environment without the TEMPORAL_* settings of the
// machine, so the CLI talks to the test's server only.
func cleanTemporalEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TEMPORAL_") {
			env = append(env, kv)
		}
	}
	return env
}
