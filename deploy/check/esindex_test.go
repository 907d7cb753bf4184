package check

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fakeES answers the Elasticsearch REST calls es-index.sh makes as Elasticsearch
// documents them: basic auth, cluster health, the legacy index template API, and
// index HEAD/PUT (400 resource_already_exists_exception for an existing index).
type fakeES struct {
	user, password string

	mu       sync.Mutex
	indices  map[string]bool
	created  int
	template []byte
}

func (f *fakeES) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if u, p, ok := r.BasicAuth(); !ok || u != f.user || p != f.password {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":{"type":"security_exception","reason":"unable to authenticate user"},"status":401}`)
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/_cluster/health":
		io.WriteString(w, `{"cluster_name":"test","status":"green"}`)
	case r.Method == http.MethodPut && r.URL.Path == "/_template/temporal_visibility_v1_template":
		b, _ := io.ReadAll(r.Body)
		if r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusNotAcceptable)
			return
		}
		f.template = b
		io.WriteString(w, `{"acknowledged":true}`)
	case r.Method == http.MethodHead && strings.Count(r.URL.Path, "/") == 1:
		if !f.indices[r.URL.Path[1:]] {
			w.WriteHeader(http.StatusNotFound)
		}
	case r.Method == http.MethodPut && strings.Count(r.URL.Path, "/") == 1:
		name := r.URL.Path[1:]
		if f.indices[name] {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":{"type":"resource_already_exists_exception","index":"`+name+`"},"status":400}`)
			return
		}
		f.indices[name] = true
		f.created++
		io.WriteString(w, `{"acknowledged":true,"shards_acknowledged":true,"index":"`+name+`"}`)
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

// TestESIndexScript runs deploy/temporal/es-index.sh against an Elasticsearch
// stand-in: it puts the release's template, creates the index once, keeps it on a
// second run, and stops on a refused password.
func TestESIndexScript(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is needed by deploy/temporal/es-index.sh and this test")
	}
	schema := t.TempDir()
	template := []byte(`{"order":0,"index_patterns":["temporal_visibility_v1*"],"mappings":{"dynamic":"false"}}`)
	if err := os.WriteFile(filepath.Join(schema, "index_template_v7.json"), template, 0o644); err != nil {
		t.Fatal(err)
	}
	es := &fakeES{user: "temporal", password: `pa"ss\word`, indices: map[string]bool{}}
	srv := httptest.NewServer(es)
	defer srv.Close()

	run := func(password string) (string, error) {
		cmd := exec.Command("bash", filepath.Join(deployDir(t), "temporal", "es-index.sh"))
		cmd.Env = append(os.Environ(), "TEMPORAL_ES_URL="+srv.URL, "TEMPORAL_ES_USER=temporal",
			"TEMPORAL_ES_PASSWORD="+password, "ES_SCHEMA_DIR="+schema, "TEMPORAL_ES_INDEX=temporal_visibility_v1_matih")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for i := 1; i <= 2; i++ {
		out, err := run(es.password)
		if err != nil {
			t.Fatalf("run %d: %v\n%s", i, err, out)
		}
		t.Logf("run %d:\n%s", i, out)
	}
	if !bytes.Equal(es.template, template) {
		t.Errorf("template put %q, want the release's file %q", es.template, template)
	}
	if !es.indices["temporal_visibility_v1_matih"] || es.created != 1 {
		t.Errorf("index created %d times (indices %v), want once", es.created, es.indices)
	}
	if out, err := run("wrong"); err == nil || !strings.Contains(out, "refused user temporal (401)") {
		t.Errorf("a refused password: err %v, output %q", err, out)
	}
}
