package route

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/matih/ops/shared/contract"
)

var all = map[string]bool{"outbox": true, "slack": true, "email": true, "pagerduty": true}

func TestDefaultsFollowTheIssue(t *testing.T) {
	r := Default(all)
	cases := []struct {
		kind  string
		score float64
		want  string
		chans []string
	}{
		{contract.KindCompletion, 0, "info", []string{"slack"}},
		{contract.KindQualityIssue, 0.7, "warning", []string{"slack", "email"}},
		{contract.KindQualityIssue, 0.49, "critical", []string{"pagerduty", "slack"}},
		{contract.KindFailure, 0, "critical", []string{"pagerduty", "slack"}},
	}
	for _, c := range cases {
		sev := r.Severity(c.kind, "orders", c.score, "")
		if sev != c.want || !reflect.DeepEqual(r.Channels("orders", sev), c.chans) {
			t.Errorf("%s %.2f: %s %v, want %s %v", c.kind, c.score, sev, r.Channels("orders", sev), c.want, c.chans)
		}
	}
}

func TestDefaultsUseOnlyConfiguredChannels(t *testing.T) {
	r := Default(map[string]bool{"outbox": true, "slack": true})
	if got := r.Channels("x", "critical"); !reflect.DeepEqual(got, []string{"slack"}) {
		t.Fatalf("critical: %v", got)
	}
	r = Default(map[string]bool{"outbox": true})
	if got := r.Channels("x", "warning"); len(got) != 0 {
		t.Fatalf("warning with nothing configured: %v", got)
	}
}

func TestRequestedSeverityOnlyRaises(t *testing.T) {
	r := Default(all)
	if got := r.Severity(contract.KindCompletion, "p", 0, "warning"); got != "warning" {
		t.Errorf("completion raised to warning: %s", got)
	}
	if got := r.Severity(contract.KindFailure, "p", 0, "info"); got != "critical" {
		t.Errorf("failure lowered to info: %s", got)
	}
	if got := r.Severity(contract.KindQualityIssue, "p", 0.9, "critical"); got != "critical" {
		t.Errorf("quality raised to critical: %s", got)
	}
}

const routingFile = `
critical_below: 0.6
routes:
  info: []
  warning: [email]
pipelines:
  daily-sales:
    critical_below: 0.9
    routes:
      critical: [pagerduty, email, outbox]
  finance.ledger:
    routes:
      info: [slack, email]
`

func TestFileWithPerPipelineOverrides(t *testing.T) {
	r, err := Parse([]byte(routingFile), all)
	if err != nil {
		t.Fatal(err)
	}
	check := func(pipeline, kind string, score float64, wantSev string, want []string) {
		t.Helper()
		sev := r.Severity(kind, pipeline, score, "")
		got := r.Channels(pipeline, sev)
		if sev != wantSev || !reflect.DeepEqual(got, want) {
			t.Errorf("%s/%s/%.2f: %s %v, want %s %v", pipeline, kind, score, sev, got, wantSev, want)
		}
	}
	// Global file routes; critical keeps the default.
	check("orders", contract.KindCompletion, 0, "info", []string{})
	check("orders", contract.KindQualityIssue, 0.65, "warning", []string{"email"})
	check("orders", contract.KindQualityIssue, 0.55, "critical", []string{"pagerduty", "slack"})
	check("orders", contract.KindFailure, 0, "critical", []string{"pagerduty", "slack"})
	// daily-sales: its own threshold and critical route (the outbox is implicit).
	check("daily-sales", contract.KindQualityIssue, 0.85, "critical", []string{"pagerduty", "email"})
	check("daily-sales", contract.KindFailure, 0, "critical", []string{"pagerduty", "email"})
	check("daily-sales", contract.KindCompletion, 0, "info", []string{})
	// finance.ledger: only info overridden, global threshold.
	check("finance.ledger", contract.KindCompletion, 0, "info", []string{"slack", "email"})
	check("finance.ledger", contract.KindQualityIssue, 0.65, "warning", []string{"email"})
}

func TestInvalidFilesNameTheKey(t *testing.T) {
	cases := map[string]struct{ yaml, says string }{
		"unknown top key":      {"routs:\n  info: [slack]\n", `unknown key "routs"`},
		"unknown override key": {"pipelines:\n  p1:\n    route: {}\n", `unknown key "route"`},
		"unknown severity":     {"routes:\n  fatal: [slack]\n", `routes.fatal: unknown severity "fatal"`},
		"unknown channel":      {"routes:\n  info: [teams]\n", `routes.info[0]: unknown channel "teams"`},
		"duplicate channel":    {"routes:\n  info: [slack, slack]\n", `routes.info[1]: channel "slack" listed twice`},
		"unconfigured":         {"pipelines:\n  p1:\n    routes:\n      critical: [pagerduty]\n", `pipelines.p1.routes.critical[0]: channel "pagerduty" is not configured`},
		"score out of range":   {"critical_below: 1.5\n", "critical_below: a quality score in [0,1]"},
		"override score":       {"pipelines:\n  p1:\n    critical_below: -1\n", "pipelines.p1.critical_below"},
		"bad pipeline id":      {"pipelines:\n  \"bad id\":\n    critical_below: 0.5\n", "pipelines.bad id: a pipeline id"},
		"wrong type":           {"routes:\n  info: slack\n", "cannot unmarshal"},
		"duplicate severity":   {"routes:\n  info: [slack]\n  info: [email]\n", `"info" already defined`},
		"not yaml":             {"routes: [\n", "line"},
		"not a mapping":        {"- info\n", "into the routing document"},
		"score not a number":   {"critical_below: high\n", "cannot unmarshal"},
	}
	noPD := map[string]bool{"outbox": true, "slack": true, "email": true}
	for name, c := range cases {
		_, err := Parse([]byte(c.yaml), noPD)
		if err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: got %v, want it to say %q", name, err, c.says)
		}
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "routing.yaml")
	if err := os.WriteFile(path, []byte("routes:\n  page: [slack]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path, all)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "routes.page") {
		t.Fatalf("got %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml"), all); err == nil {
		t.Fatal("missing file accepted")
	}
	empty := filepath.Join(t.TempDir(), "empty.yaml")
	_ = os.WriteFile(empty, nil, 0o600)
	r, err := Load(empty, all)
	if err != nil || !reflect.DeepEqual(r.Routes, Default(all).Routes) {
		t.Fatalf("empty file: %v %v", r.Routes, err)
	}
}
