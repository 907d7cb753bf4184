package temporalclient

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/testkit"
)

// clearEnv isolates a test from the machine's TEMPORAL_* settings and CLI profile.
func clearEnv(t *testing.T) {
	for _, k := range []string{"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_API_KEY", "TEMPORAL_PROFILE", "TEMPORAL_TLS", EnvAPIKeyFile} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("TEMPORAL_CONFIG_FILE", filepath.Join(t.TempDir(), "none.toml"))
}

func TestDefaults(t *testing.T) {
	clearEnv(t)
	prof, err := Config{}.LoadProfile()
	require.NoError(t, err)
	assert.Equal(t, "localhost:7233", prof.Address)
	assert.Equal(t, "matih-pipelines", prof.Namespace)
}

func TestProfileThenEnvThenFlags(t *testing.T) {
	clearEnv(t)
	file := filepath.Join(t.TempDir(), "temporal.toml")
	require.NoError(t, os.WriteFile(file, []byte(`
[profile.default]
address = "profile-default:7233"
namespace = "from-profile"

[profile.prod]
address = "prod.tmprl.cloud:7233"
namespace = "matih-prod"
api_key = "key-from-profile"
`), 0o600))
	t.Setenv("TEMPORAL_CONFIG_FILE", file)

	prof, err := Config{}.LoadProfile()
	require.NoError(t, err)
	assert.Equal(t, "profile-default:7233", prof.Address)

	t.Setenv("TEMPORAL_PROFILE", "prod")
	prof, err = Config{}.LoadProfile()
	require.NoError(t, err)
	assert.Equal(t, "matih-prod", prof.Namespace)
	assert.Equal(t, "key-from-profile", prof.APIKey)

	t.Setenv("TEMPORAL_NAMESPACE", "from-env")
	prof, err = Config{}.LoadProfile()
	require.NoError(t, err)
	assert.Equal(t, "from-env", prof.Namespace, "env wins over the profile")

	var c Config
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	c.RegisterFlags(fs)
	require.NoError(t, fs.Parse([]string{"--namespace", "from-flag", "--address", "flag-host:7233"}))
	prof, err = c.LoadProfile()
	require.NoError(t, err)
	assert.Equal(t, "from-flag", prof.Namespace, "flags win over env")
	assert.Equal(t, "flag-host:7233", prof.Address)

	_, err = Config{Profile: "staging"}.LoadProfile()
	assert.ErrorContains(t, err, "staging", "a named profile that is missing is an error")
}

func TestBadSettingsAreNamed(t *testing.T) {
	clearEnv(t)
	_, err := Config{Address: "localhost"}.LoadProfile()
	assert.ErrorContains(t, err, "address: expected host:port")
	_, err = Config{Address: "localhost:http"}.LoadProfile()
	assert.ErrorContains(t, err, "numeric port")
	_, err = Config{TLSCAPath: "/no/such/ca.pem"}.LoadProfile()
	assert.ErrorContains(t, err, "--tls-ca-path")
}

func TestUnreachableAndMissingNamespace(t *testing.T) {
	clearEnv(t)
	addr := testkit.FreeAddr(t)
	start := time.Now()
	_, err := Dial(context.Background(), Config{Address: addr}, nil, nil)
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrUnreachable))
	assert.Contains(t, err.Error(), addr)
	assert.Less(t, time.Since(start), DialTimeout+time.Second)

	srv := testkit.StartDevServer(t)
	c, err := Dial(context.Background(), Config{Address: srv.HostPort}, nil, nil)
	require.NoError(t, err)
	c.Close()
	_, err = Dial(context.Background(), Config{Address: srv.HostPort, Namespace: "nope"}, nil, nil)
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrNamespaceNotFound))
	assert.Contains(t, err.Error(), `"nope" does not exist`)
}

func TestAPIKeyFromFile(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "token")
	require.NoError(t, os.WriteFile(file, []byte("eyJ.token.sig\n"), 0o600))
	t.Setenv(EnvAPIKeyFile, file)
	prof, err := Config{}.LoadProfile()
	require.NoError(t, err)
	assert.Equal(t, "eyJ.token.sig", prof.APIKey, "the file's token, its newline trimmed")

	t.Setenv("TEMPORAL_API_KEY", "from-env")
	prof, err = Config{}.LoadProfile()
	require.NoError(t, err)
	assert.Equal(t, "from-env", prof.APIKey, "TEMPORAL_API_KEY wins over the file")
	os.Unsetenv("TEMPORAL_API_KEY")

	t.Setenv(EnvAPIKeyFile, filepath.Join(dir, "missing"))
	_, err = Config{}.LoadProfile()
	assert.ErrorContains(t, err, EnvAPIKeyFile)
	require.NoError(t, os.WriteFile(file, []byte("two tokens\n"), 0o600))
	t.Setenv(EnvAPIKeyFile, file)
	_, err = Config{}.LoadProfile()
	assert.ErrorContains(t, err, "one token on one line")
}
