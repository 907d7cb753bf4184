package api

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOpenAPIListsExactlyTheServedRoutes holds the document and the server to each
// other: every registered route is documented, nothing documented is not served.
func TestOpenAPIListsExactlyTheServedRoutes(t *testing.T) {
	h := newHarness(t, testTokens(t))
	w := h.do("GET", PathOpenAPI, "", "")
	require.Equal(t, http.StatusOK, w.Code)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &doc))
	assert.True(t, strings.HasPrefix(doc.OpenAPI, "3.1"), doc.OpenAPI)

	var documented, served []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	for _, rt := range h.srv.Routes() {
		served = append(served, rt.Method+" "+rt.Path)
		// The route is really registered: the mux routes to it, not to a fallback.
		path := strings.NewReplacer("{workflowId}", "wf-1", "{pipelineId}", "orders-low-quality").Replace(rt.Path)
		w := h.do(rt.Method, path, operateToken, "{}")
		assert.NotContains(t, []int{http.StatusMethodNotAllowed}, w.Code, rt.Method+" "+rt.Path)
		assert.NotContains(t, w.Body.String(), "no such route", rt.Method+" "+rt.Path)
	}
	sort.Strings(documented)
	sort.Strings(served)
	assert.Equal(t, served, documented)
}
