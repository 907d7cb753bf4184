package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hostile is a screen clear, a carriage return, a right-to-left override and a C1 CSI.
const hostile = "\x1b[2J\r\u202e\u009b31m"

// actsOnATerminal reports the first character of s a terminal could act on.
func actsOnATerminal(s string) (rune, bool) {
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == 0x2028 || r == 0x2029 || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			return r, true
		}
	}
	return 0, false
}

// A caller's value that an error echoes (a signal name, a list filter, a pipeline
// id, an unknown field's name, a path) comes back quoted, never raw, so a client
// that prints the message prints text.
func TestErrorsEchoHostileValuesQuoted(t *testing.T) {
	h := newHarness(t, testTokens(t))
	key, _ := json.Marshal(hostile)
	escaped := url.PathEscape(hostile)
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/v1/pipelines/workflows/wf-1/signal", `{"name":` + string(key) + `,"data":{}}`},
		{"GET", "/v1/pipelines/workflows?type=" + url.QueryEscape(hostile), ""},
		{"POST", "/v1/pipelines/" + escaped + "/execute", ""},
		{"POST", PathBackfills, `{` + string(key) + `:1}`},
		{"POST", PathBackfills, `{"source":{` + string(key) + `:1}}`},
		{"GET", "/v1/" + escaped, ""},
	} {
		w := h.do(c.method, c.path, operateToken, c.body)
		assert.GreaterOrEqual(t, w.Code, http.StatusBadRequest, c.path)
		var body ErrorBody
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body), w.Body.String())
		for _, s := range []string{body.Error.Message, body.Error.Field} {
			r, bad := actsOnATerminal(s)
			assert.False(t, bad, "%U echoed raw in %q (%s %s)", r, s, c.method, c.path)
		}
		assert.Contains(t, body.Error.Message, `\x1b[2J`, "the value is still shown, escaped")
	}
	assert.Zero(t, h.be.starts)
	assert.Empty(t, h.be.signals)
}
