package check

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"sigs.k8s.io/yaml"
)

// shortPath names a deploy file by its folder and name ("prometheus/rules.yaml").
func shortPath(path string) string {
	return filepath.Join(filepath.Base(filepath.Dir(path)), filepath.Base(path))
}

// Expr is one PromQL expression and where it comes from.
type Expr struct {
	Where string // "rules.yaml alert MatihWorkerDown", "dashboard panel \"...\""
	Expr  string
}

// RuleExprs reads a Prometheus rules file: every rule's expression, and the names
// its recording rules define (those series come from Prometheus, not a worker).
func RuleExprs(path string) (exprs []Expr, recorded map[string]bool, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var f struct {
		Groups []struct {
			Name  string `json:"name"`
			Rules []struct {
				Alert  string `json:"alert"`
				Record string `json:"record"`
				Expr   string `json:"expr"`
			} `json:"rules"`
		} `json:"groups"`
	}
	// Not strict: promtool owns the format (labels, annotations, for, ...).
	if err := yaml.Unmarshal(b, &f); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	recorded = map[string]bool{}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			where := fmt.Sprintf("%s group %s alert %s", shortPath(path), g.Name, r.Alert)
			if r.Record != "" {
				recorded[r.Record] = true
				where = fmt.Sprintf("%s group %s record %s", shortPath(path), g.Name, r.Record)
			}
			exprs = append(exprs, Expr{Where: where, Expr: r.Expr})
		}
	}
	return exprs, recorded, nil
}

// DashboardExprs returns every "expr" of a Grafana dashboard (panel targets, in
// rows and nested panels too), with the title of the panel that holds it.
func DashboardExprs(path string) ([]Expr, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []Expr
	var walk func(v any, title string)
	walk = func(v any, title string) {
		switch v := v.(type) {
		case map[string]any:
			if t, ok := v["title"].(string); ok {
				title = t
			}
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if s, ok := v[k].(string); ok && k == "expr" {
					out = append(out, Expr{Where: fmt.Sprintf("%s panel %q", shortPath(path), title), Expr: s})
					continue
				}
				walk(v[k], title)
			}
		case []any:
			for _, e := range v {
				walk(e, title)
			}
		}
	}
	walk(doc, "")
	return out, nil
}
