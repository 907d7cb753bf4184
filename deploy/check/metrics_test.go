package check

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/matih/ops/shared/testkit"
)

// synthetic are series Prometheus makes itself for every target or rule, never
// served by a worker's /metrics.
var synthetic = map[string]bool{
	"up": true, "ALERTS": true, "ALERTS_FOR_STATE": true,
	"scrape_duration_seconds": true, "scrape_samples_scraped": true,
	"scrape_samples_post_metric_relabeling": true, "scrape_series_added": true,
}

// checkBuild is the build ID the workers poll as here, given as MATIH_BUILD_ID like
// the Kubernetes manifests give it.
const checkBuild = "check"

// TestEveryDeployMetricIsOnAFreshWorker builds and starts the three workers against
// a dev server, scrapes each /metrics as soon as /readyz answers, before any
// workflow ran, and checks that every metric the alert rules and the dashboard use
// is there: an alert on a series that appears only after the first failure cannot
// fire on that failure's increase, and a dashboard panel would be empty.
func TestEveryDeployMetricIsOnAFreshWorker(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the three workers")
	}
	wanted := map[string][]string{} // metric -> where it is used
	_, recorded, err := RuleExprs(filepath.Join(deployDir(t), "prometheus", "rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range deployExprs(t) {
		names, err := MetricNames(e.Expr)
		if err != nil {
			t.Fatalf("%s: %v", e.Where, err)
		}
		for _, n := range names {
			if !synthetic[n] && !recorded[n] {
				wanted[n] = append(wanted[n], e.Where)
			}
		}
	}

	root := testkit.RepoRoot(t)
	if os.Getenv("GOWORK") == "off" {
		// The workers build in the workspace (testkit.Build runs go build at its
		// root), also when this module's own tests run with GOWORK=off.
		t.Setenv("GOWORK", filepath.Join(root, "go.work"))
	}
	ds := testkit.StartDevServer(t)
	dir := t.TempDir()
	conns := testkit.ConnectionsFile(t, dir, testkit.SQLiteConn("orders", filepath.Join(dir, "orders.db")))

	served := map[string]map[string]bool{} // worker -> metric names on its /metrics
	for _, w := range workers {
		bin := testkit.Build(t, "github.com/matih/ops/"+w+"/cmd/"+w)
		data := filepath.Join(dir, w)
		if err := os.MkdirAll(data, 0o700); err != nil {
			t.Fatal(err)
		}
		addr := testkit.FreeAddr(t)
		args := []string{"--address", ds.HostPort, "--namespace", ds.Namespace, "--http-addr", addr,
			"--data-dir", data, "--stop-timeout", "2s", "--log-level", "warn"}
		if w != "worker-notify" {
			args = append(args, "--connections", conns)
		}
		// The build ID as the pods get it (env, from their label), not as a flag.
		env := []string{"MATIH_BUILD_ID=" + checkBuild}
		p := testkit.Start(t, bin, args, env, dir)
		p.WaitReady(t, addr, 60*time.Second)
		body := get(t, "http://"+addr+"/metrics")
		served[w] = SampleNames(body)

		deployment := "matih-" + w
		if ready := get(t, "http://"+addr+"/readyz"); !strings.Contains(ready, "deployment="+deployment) || !strings.Contains(ready, "build_id="+checkBuild) {
			t.Errorf("%s /readyz says %q: want deployment=%s build_id=%s (MATIH_BUILD_ID not read?)", w, ready, deployment, checkBuild)
		}
		// The version the process registered is the one MATIH_BUILD_ID named.
		testkit.SetCurrentVersion(t, ds.Client, deployment, checkBuild)
	}

	var missing []string
	for _, n := range sortedKeys(wanted) {
		var on []string
		for _, w := range workers {
			if served[w][n] {
				on = append(on, w)
			}
		}
		if len(on) == 0 {
			missing = append(missing, fmt.Sprintf("%s (used by %s)", n, strings.Join(dedup(wanted[n]), "; ")))
			continue
		}
		t.Logf("%s: on %s", n, strings.Join(on, ", "))
	}
	if len(missing) > 0 {
		t.Errorf("metrics the rules or the dashboard use that no freshly started worker serves on /metrics:\n  %s",
			strings.Join(missing, "\n  "))
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func dedup(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
