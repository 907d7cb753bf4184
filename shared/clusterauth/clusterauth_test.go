package clusterauth

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// verify checks a token against the served key set, as the server does, and
// returns its claims.
func verify(t *testing.T, set []byte, token string) (jwt.Claims, map[string]any) {
	t.Helper()
	var keys jose.JSONWebKeySet
	require.NoError(t, json.Unmarshal(set, &keys))
	parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256})
	require.NoError(t, err)
	require.Len(t, parsed.Headers, 1)
	found := keys.Key(parsed.Headers[0].KeyID)
	require.Len(t, found, 1, "the token's kid %q is in the key set", parsed.Headers[0].KeyID)
	var std jwt.Claims
	custom := map[string]any{}
	require.NoError(t, parsed.Claims(found[0].Key, &std, &custom))
	return std, custom
}

func TestIssueAndRotate(t *testing.T) {
	dir := KeyDir(t.TempDir())
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	_, err := dir.Issue(Token{Subject: "w", Role: RoleWorker, Namespace: "ns", TTL: time.Hour}, now)
	require.ErrorContains(t, err, "holds no signing-*.pem key")

	first, err := dir.NewKey(now)
	require.NoError(t, err)
	tok, err := dir.Issue(Token{Subject: "worker-pipeline", Role: RoleWorker, Namespace: "matih-pipelines", TTL: time.Hour}, now)
	require.NoError(t, err)

	srv := httptest.NewServer(dir.KeySetHandler())
	defer srv.Close()
	set := get(t, srv.URL)
	std, custom := verify(t, set, tok)
	assert.Equal(t, "worker-pipeline", std.Subject)
	assert.Equal(t, Issuer, std.Issuer)
	assert.NoError(t, std.Validate(jwt.Expected{Time: now.Add(30 * time.Minute)}))
	assert.Error(t, std.Validate(jwt.Expected{Time: now.Add(2 * time.Hour)}), "expired after its ttl")
	assert.Equal(t, []any{"matih-pipelines:write"}, custom[PermissionsClaim])

	// A second key signs from now on; the set publishes both, so the old token holds.
	second, err := dir.NewKey(now.Add(time.Second))
	require.NoError(t, err)
	require.NotEqual(t, first, second)
	tok2, err := dir.Issue(Token{Subject: "ana", Role: RoleReader, Namespace: "matih-pipelines", TTL: time.Hour}, now)
	require.NoError(t, err)
	set = get(t, srv.URL)
	verify(t, set, tok)
	_, custom = verify(t, set, tok2)
	assert.Equal(t, []any{"matih-pipelines:read"}, custom[PermissionsClaim])
	parsed, err := jwt.ParseSigned(tok2, []jose.SignatureAlgorithm{jose.ES256})
	require.NoError(t, err)
	assert.Equal(t, second, parsed.Headers[0].KeyID, "the newest key signs")
}

func TestIssueRefusesBadInput(t *testing.T) {
	dir := KeyDir(t.TempDir())
	now := time.Now()
	_, err := dir.NewKey(now)
	require.NoError(t, err)
	for _, tc := range []struct {
		tok  Token
		want string
	}{
		{Token{Role: RoleReader, Namespace: "ns", TTL: time.Hour}, "sub:"},
		{Token{Subject: "a", Role: "root", Namespace: "ns", TTL: time.Hour}, `role: expected one of worker, reader, writer, admin, got "root"`},
		{Token{Subject: "a", Role: RoleReader, Namespace: "ns:x", TTL: time.Hour}, "namespace:"},
		{Token{Subject: "a", Role: RoleReader, Namespace: "ns", TTL: 0}, "ttl:"},
		{Token{Subject: "a", Role: RoleReader, Namespace: "ns", TTL: MaxTTL + time.Hour}, "ttl:"},
	} {
		_, err := dir.Issue(tc.tok, now)
		assert.ErrorContains(t, err, tc.want)
	}
	perms, err := Permissions(RoleAdmin, "ns")
	require.NoError(t, err)
	assert.Equal(t, []string{"temporal-system:admin"}, perms)
}

func TestKeyReadableByOthersIsRefused(t *testing.T) {
	dir := KeyDir(t.TempDir())
	_, err := dir.NewKey(time.Now())
	require.NoError(t, err)
	files, _ := filepath.Glob(filepath.Join(string(dir), "signing-*.pem"))
	require.Len(t, files, 1)
	info, err := os.Stat(files[0])
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	require.NoError(t, os.Chmod(files[0], 0o640))
	_, err = dir.KeySet()
	assert.ErrorContains(t, err, "readable by others")
}

func get(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return b
}
