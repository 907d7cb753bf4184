package check

import (
	"path/filepath"
	"slices"
	"testing"
)

func TestMetricNames(t *testing.T) {
	for expr, want := range map[string][]string{
		`up{job=~"matih-worker.*"} == 0`:                                                                                   {"up"},
		`sum by (workflow_type) (increase(matih_workflow_failed[15m])) > 0`:                                                {"matih_workflow_failed"},
		`histogram_quantile(0.95, sum by (le, task_queue) (rate(temporal_activity_schedule_to_start_latency_bucket[5m])))`: {"temporal_activity_schedule_to_start_latency_bucket"},
		`min by (task_queue) (temporal_worker_task_slots_available{worker_type="ActivityWorker"}) == 0`:                    {"temporal_worker_task_slots_available"},
		`sum(rate(a_total[5m] offset 1h)) / ignoring(code) group_left(team) b * on (x) c`:                                  {"a_total", "b", "c"},
		`{__name__="via_name", job="by"} + count_values("sum", d) + topk(3, e) @ start()`:                                  {"d", "e", "via_name"},
		`rate(f[$__rate_interval]) * ${factor} + g[5m:1m] # comment h`:                                                     {"f", "g"},
		`1e-3 * Inf + NaN - 0x1f + 1h30m`:                                                                                  nil,
		`label_replace(i, "dst", "$1", "src", "(.*)") and bool j unless k or sum without (l) (m)`:                          {"i", "j", "k", "m"},
	} {
		got, err := MetricNames(expr)
		if err != nil {
			t.Errorf("%s: %v", expr, err)
			continue
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: got %v, want %v", expr, got, want)
		}
	}
	for _, bad := range []string{`a{b="c"`, `rate(x[5m]`, `x{job="unterminated}`} {
		if _, err := MetricNames(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestSampleNames(t *testing.T) {
	got := SampleNames("# HELP h_seconds x\n# TYPE h_seconds histogram\nh_seconds_bucket{le=\"1\"} 0\nh_seconds_sum 0\nh_seconds_count 0\nc{a=\"b\"} 1\ng 2\n")
	for _, n := range []string{"h_seconds", "h_seconds_bucket", "h_seconds_sum", "h_seconds_count", "c", "g"} {
		if !got[n] {
			t.Errorf("%s missing from %v", n, got)
		}
	}
}

// TestDeployExpressionsParse finds metric names in every expression of the rules
// and the dashboard (promtool checks their syntax in scripts/check-deploy.sh).
func TestDeployExpressionsParse(t *testing.T) {
	exprs := deployExprs(t)
	if len(exprs) < 10 {
		t.Fatalf("found only %d expressions in the rules and the dashboard", len(exprs))
	}
	for _, e := range exprs {
		names, err := MetricNames(e.Expr)
		if err != nil {
			t.Errorf("%s: %v", e.Where, err)
		} else if len(names) == 0 {
			t.Errorf("%s: %q names no metric", e.Where, e.Expr)
		}
	}
}

func deployExprs(t *testing.T) []Expr {
	t.Helper()
	rules, _, err := RuleExprs(filepath.Join(deployDir(t), "prometheus", "rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dash, err := DashboardExprs(filepath.Join(deployDir(t), "grafana", "matih-workers.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) == 0 || len(dash) == 0 {
		t.Fatalf("%d rule and %d dashboard expressions: the files changed shape", len(rules), len(dash))
	}
	return append(rules, dash...)
}
