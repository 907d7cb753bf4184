package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/temporalclient"
	"github.com/matih/ops/shared/testkit"
)

// sshKey makes an ed25519 key pair with OpenSSH's ssh-keygen and returns the
// private key's path and the public key's authorized_keys line with comment.
func sshKey(t *testing.T, dir, name, comment string) (string, string) {
	path := filepath.Join(dir, name)
	out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path).CombinedOutput()
	require.NoError(t, err, string(out))
	pub, err := os.ReadFile(path + ".pub")
	require.NoError(t, err)
	return path, strings.TrimSpace(string(pub))
}

type sshRun struct {
	code           int
	stdout, stderr string
}

// sshTo runs one command through the real OpenSSH client, with the client's USER
// and SSH_CLIENT spoofed: the server must not care.
func sshTo(t *testing.T, addr, key string, args ...string) sshRun {
	host, port, _ := strings.Cut(addr, ":")
	full := append([]string{"-i", key, "-p", port, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-o", "SendEnv=USER SSH_CLIENT", host}, args...)
	cmd := exec.Command("ssh", full...)
	cmd.Env = append(os.Environ(), "USER=mallory", "SSH_CLIENT=10.6.6.6 1 22")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return sshRun{code, out.String(), errb.String()}
}

// TestTheSSHKeyIsThePerson drives `matih serve --ssh` with the real OpenSSH client:
// the operate key's owner approves as the key says whatever the client claims, a
// read key is refused the approval, an unknown key is refused at the door, the
// scriptable twins answer as locally, and a key removed from the file is refused on
// its next command.
func TestTheSSHKeyIsThePerson(t *testing.T) {
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Skip("OpenSSH client not installed")
	}
	srv := testkit.StartDevServer(t)
	testkit.StartPipelineWorker(t, srv)
	dir := t.TempDir()
	auditPath := filepath.Join(dir, "audit.log")
	anaKey, anaPub := sshKey(t, dir, "ana", "ana@matih")
	boKey, boPub := sshKey(t, dir, "bo", "bo@matih")
	eveKey, _ := sshKey(t, dir, "eve", "eve@matih")
	operate, read := filepath.Join(dir, "operate_keys"), filepath.Join(dir, "read_keys")
	require.NoError(t, os.WriteFile(operate, []byte(anaPub+"\n"), 0o600))
	require.NoError(t, os.WriteFile(read, []byte(boPub+"\n"), 0o600))

	addr := testkit.FreeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	server := &App{Conn: temporalclient.Config{Address: srv.HostPort, Namespace: srv.Namespace}, AuditPath: auditPath, Err: &bytes.Buffer{}}
	wait, err := server.startSSH(ctx, sshFlags{addr: addr, hostKey: filepath.Join(dir, "host", "key"), readKeys: read, operateKeys: operate,
		idle: time.Minute, maxSessions: 10})
	require.NoError(t, err)
	defer func() { cancel(); assert.NoError(t, wait()) }()
	info, err := os.Stat(filepath.Join(dir, "host", "key"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the host key is the server's alone")

	r := matih(t, srv, auditPath, "start", "pipeline", "-f", writeConfig(t, "low.yaml", lowQuality))
	require.Equal(t, ExitOK, r.code, r.stder)
	id := strings.TrimSpace(r.stdout)
	waitPhase(t, srv, auditPath, id, contract.PhaseAwaitingApproval)

	bo := sshTo(t, addr, boKey, "approve", id, "--reason", "'looks fine'") // the remote side splits the line as a shell does
	assert.Equal(t, ExitRefused, bo.code, "a read key may only look: %+v", bo)
	assert.Contains(t, bo.stderr, "may only look")

	eve := sshTo(t, addr, eveKey, "ls")
	assert.Equal(t, 255, eve.code, "an unknown key is refused before anything runs")

	sneaky := sshTo(t, addr, anaKey, "ls", "--address", "evil:7233")
	assert.Equal(t, ExitUsage, sneaky.code)
	assert.Contains(t, sneaky.stderr, "not offered over SSH")

	viaSSH := sshTo(t, addr, anaKey, "ls", "-o", "json", "--status", "all")
	require.Equal(t, 0, viaSSH.code, viaSSH.stderr)
	local := matih(t, srv, auditPath, "ls", "-o", "json", "--status", "all")
	assert.Equal(t, ids(t, local.stdout), ids(t, viaSSH.stdout), "ls over SSH lists what a local ls lists")

	ana := sshTo(t, addr, anaKey, "approve", id, "--reason", "'nulls checked by hand'")
	require.Equal(t, 0, ana.code, ana.stderr)
	doc := waitPhase(t, srv, auditPath, id, contract.PhaseCompleted)
	require.NotNil(t, doc.Approval)
	assert.Equal(t, "ana@matih", doc.Approval.Approver, "the key's identity, not the client's USER")
	audit, err := os.ReadFile(auditPath)
	require.NoError(t, err)
	assert.Contains(t, string(audit), `"identity":"ana@matih"`)
	assert.NotContains(t, string(audit), "mallory")
	assert.Contains(t, string(audit), `"action":"ssh session start"`)
	assert.Contains(t, string(audit), `"session":"SHA256:`, "sessions are recorded by key fingerprint")

	// Revoked: ana's key leaves the operate file; the next command is refused.
	require.NoError(t, os.WriteFile(operate, []byte("# nobody acts\n"), 0o600))
	later := time.Now().Add(2 * time.Second)
	require.NoError(t, os.Chtimes(operate, later, later))
	assert.Equal(t, 255, sshTo(t, addr, anaKey, "ls").code, "a removed key is refused with no restart")
}

func ids(t *testing.T, js string) []string {
	var rows []struct {
		WorkflowID string `json:"workflowId"`
	}
	require.NoError(t, json.Unmarshal([]byte(js), &rows), js)
	var out []string
	for _, r := range rows {
		out = append(out, r.WorkflowID)
	}
	sort.Strings(out)
	return out
}
