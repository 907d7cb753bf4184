package cli

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/tui/internal/api"
	"github.com/matih/ops/tui/internal/data"
)

// The bearer tokens of the serve tests and the tokens file naming them.
const (
	serveOperateToken = "op-token-for-tests"
	serveReadToken    = "read-token-for-tests"
)

func writeTokens(t testing.TB) string {
	return writeConfig(t, "tokens.yaml", "tokens:\n"+
		"  - {name: pipeline-service, role: operate, sha256: "+api.Digest(serveOperateToken)+"}\n"+
		"  - {name: dashboard, role: read, sha256: "+api.Digest(serveReadToken)+"}\n")
}

func writePipelines(t testing.TB, files map[string]string) string {
	dir := t.TempDir()
	for name, body := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600))
	}
	return dir
}

func TestServeRefusesUnsafeSettings(t *testing.T) {
	a := &App{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}, AuditPath: filepath.Join(t.TempDir(), "audit.log")}
	for name, f := range map[string]serveFlags{
		"tokenless on every interface": {listen: "0.0.0.0:8080"},
		"tokenless on a host name":     {listen: "bastion.example:8080"},
		"no port":                      {listen: "127.0.0.1"},
		"unreadable tokens":            {listen: "0.0.0.0:8080", tokens: filepath.Join(t.TempDir(), "missing.yaml")},
		"bad tokens":                   {listen: "127.0.0.1:8080", tokens: writeConfig(t, "t.yaml", "tokens: [{name: a, role: root, sha256: x}]\n")},
		"missing pipelines":            {listen: "127.0.0.1:8080", pipelines: filepath.Join(t.TempDir(), "none")},
		"bad pipeline":                 {listen: "127.0.0.1:8080", pipelines: writePipelines(t, map[string]string{"x.yaml": "pipeline_id: x\n"})},
		"tokens over plain HTTP":       {listen: "0.0.0.0:8080", tokens: writeTokens(t)},
		"negative rate":                {listen: "127.0.0.1:8080", ratePerSecond: -1},
		"duplicate pipeline": {listen: "127.0.0.1:8080", pipelines: writePipelines(t, map[string]string{
			"a.yaml": lowQuality, "b.yml": lowQuality})},
	} {
		_, err := a.serveOptions(f)
		assert.Error(t, err, name)
		assert.Equal(t, ExitUsage, ExitCode(err), "%s: %v", name, err)
	}
	_, err := serveTLS(serveFlags{tlsCert: "cert.pem"})
	assert.Equal(t, ExitUsage, ExitCode(err))
	_, err = serveTLS(serveFlags{tlsCert: "no-cert.pem", tlsKey: "no-key.pem"})
	assert.Equal(t, ExitUsage, ExitCode(err))

	opts, err := a.serveOptions(serveFlags{listen: "0.0.0.0:8080", tokens: writeTokens(t), insecureHTTP: true,
		pipelines: writePipelines(t, map[string]string{"sales.yaml": lowQuality, "README.md": "not a pipeline"})})
	require.NoError(t, err, "with tokens, and TLS ending in front, any address will do")
	cfg, file, ok := opts.Pipelines.Lookup("sales")
	require.True(t, ok)
	assert.Equal(t, "sales.yaml", filepath.Base(file))
	assert.Equal(t, 0.9, cfg.MinQualityScore)
	for _, host := range []string{"127.0.0.1", "::1", "localhost", "127.0.0.2"} {
		assert.True(t, isLoopback(host), host)
	}
}

func TestServeBannerSaysGETOnly(t *testing.T) {
	var out bytes.Buffer
	a := &App{Out: &out, Err: &bytes.Buffer{}}
	a.serveBanner("127.0.0.1:8080", serveFlags{}, api.Options{}, false)
	assert.Contains(t, out.String(), "GET only")
	out.Reset()
	a.serveBanner("10.0.0.1:8080", serveFlags{tokens: "t.yaml"}, api.Options{Tokens: &api.Tokens{}}, true)
	assert.Contains(t, out.String(), "tokens travel in clear")
}

func TestServeHelpIsComplete(t *testing.T) {
	var out bytes.Buffer
	code := Main([]string{"serve", "--help"}, strings.NewReader(""), &out, &out)
	require.Equal(t, ExitOK, code)
	for _, want := range []string{"--tokens", "--pipelines", "--tls-cert", "--tls-key", "--listen", "/execute", "/signal", "/status",
		"/v1/approvals", "/v1/backfills", "/v1/migrations", "/metrics", "/v1/openapi.json", "read", "operate", "413", "503", "Idempotency-Key", "loopback"} {
		assert.Contains(t, out.String(), want)
	}
}

func TestAPIErrorKeepsTheConsolesClasses(t *testing.T) {
	for sentinel, want := range map[error]error{data.ErrNotFound: api.ErrNotFound, data.ErrRefused: api.ErrConflict,
		data.ErrUnreachable: api.ErrUnavailable} {
		err := apiError(errors.Join(sentinel, errors.New("detail")))
		assert.ErrorIs(t, err, want)
		assert.Contains(t, err.Error(), "detail")
	}
	assert.NoError(t, apiError(nil))
}
