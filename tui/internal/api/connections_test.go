package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/connections"
)

// TestStartsNamingAnUnknownConnectionAreRefused: given the workers' connections,
// a start whose config names a connection none of them has is a 400 naming the
// field, with nothing started; a known one starts.
func TestStartsNamingAnUnknownConnectionAreRefused(t *testing.T) {
	reg, err := connections.New(connections.Connection{Name: "demo", Kind: connections.SQLite, Path: "/data/demo.db"})
	require.NoError(t, err)
	h := newHarness(t, testTokens(t))
	h.srv.opts.Connections = reg
	migrationPG := `{"migration_id":"add_region","target":"postgres","connection":"sales","table":"public.orders","statements":["ALTER TABLE public.orders ADD COLUMN region text"]}`
	for _, c := range []struct{ path, body, field, want string }{
		{PathBackfills, strings.Replace(backfillBody, `"connection":"demo"`, `"connection":"elsewhere"`, 1), "source.connection", `the workers define (demo), got \"elsewhere\"`},
		{PathBackfills, strings.Replace(backfillBody, `"connection":"demo"`, `"connection":"demo\u001b[2J"`, 1), "source.connection", `demo\\x1b[2J`},
		{PathMigration, migrationPG, "connection", `the workers define (demo), got \"sales\"`},
	} {
		w := h.do("POST", c.path, operateToken, c.body)
		require.Equal(t, http.StatusBadRequest, w.Code, c.body)
		assertError(t, w, CodeBadRequest, c.field)
		assert.Contains(t, w.Body.String(), c.want)
		assert.NotContains(t, w.Body.String(), "\x1b", "a hostile name is quoted, never raw")
	}
	assert.Zero(t, h.be.starts, "nothing started")

	w := h.do("POST", executePath, operateToken, "")
	require.Equal(t, http.StatusAccepted, w.Code, "the definition names demo, which the workers have")
	w = h.do("POST", PathBackfills, operateToken, backfillBody)
	require.Equal(t, http.StatusAccepted, w.Code, w.Body.String())
}
