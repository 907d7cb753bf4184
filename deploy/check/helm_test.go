package check

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/matih/ops/shared/contract"
)

func readYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	// Strict: a key given twice is an error, not a silent override.
	if err := yaml.UnmarshalStrict(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// at walks a parsed YAML document along keys (map keys, or list indexes as "0").
func at(t *testing.T, doc any, path ...string) any {
	t.Helper()
	v := doc
	for i, k := range path {
		switch c := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = c[k]; !ok {
				t.Fatalf("helm values: no %s", strings.Join(path[:i+1], "."))
			}
		case []any:
			var n int
			if _, err := fmt.Sscan(k, &n); err != nil || n >= len(c) {
				t.Fatalf("helm values: no %s", strings.Join(path[:i+1], "."))
			}
			v = c[n]
		default:
			t.Fatalf("helm values: %s is not a map or list", strings.Join(path[:i], "."))
		}
	}
	return v
}

func fileMatch(t *testing.T, path, re string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(re).FindStringSubmatch(string(b))
	if m == nil {
		t.Fatalf("%s: no match for %s", path, re)
	}
	return m
}

func searchAttributeList() string {
	var sas []string
	for name, typ := range contract.SearchAttributeTypes {
		sas = append(sas, name+"="+typ)
	}
	sort.Strings(sas)
	return strings.Join(sas, " ")
}

// TestHelmValuesAgreeWithTheServerFiles: helm-values.yaml parses, its dynamic config
// is dynamicconfig.yaml's key for key and value for value, and the names it gives
// the cluster are the ones production.yaml, setup.sh and the workers use.
func TestHelmValuesAgreeWithTheServerFiles(t *testing.T) {
	dir := filepath.Join(deployDir(t), "temporal")
	values := readYAML(t, filepath.Join(dir, "helm-values.yaml"))
	dynamic := readYAML(t, filepath.Join(dir, "dynamicconfig.yaml"))
	if got := at(t, values, "server", "dynamicConfig"); !reflect.DeepEqual(got, any(dynamic)) {
		t.Errorf("server.dynamicConfig differs from dynamicconfig.yaml:\n values: %v\n file:   %v", got, dynamic)
	}

	setup := filepath.Join(dir, "setup.sh")
	production := filepath.Join(dir, "production.yaml")
	checks := []struct {
		path []string
		want any
	}{
		{[]string{"server", "frontend", "service", "port"}, float64(7233)},
		{[]string{"server", "config", "numHistoryShards"}, float64(512)},
		{[]string{"server", "config", "persistence", "default", "driver"}, "sql"},
		{[]string{"server", "config", "persistence", "default", "sql", "driver"}, "postgres12"},
		{[]string{"server", "config", "persistence", "visibility", "driver"}, "elasticsearch"},
		{[]string{"elasticsearch", "enabled"}, false},
		{[]string{"elasticsearch", "external"}, true},
		{[]string{"elasticsearch", "version"}, fileMatch(t, production, `(?m)^\s+version: (v\d+)\s*$`)[1]},
		{[]string{"elasticsearch", "visibilityIndex"}, fileMatch(t, production, `(?m)^\s+visibility: (\S+)\s*$`)[1]},
		{[]string{"server", "config", "namespaces", "create"}, true},
		{[]string{"server", "config", "tls", "frontend", "server", "requireClientAuth"}, true},
		{[]string{"server", "config", "tls", "internode", "server", "requireClientAuth"}, true},
		{[]string{"server", "config", "tls", "frontend", "client", "serverName"}, "temporal-frontend"},
		{[]string{"server", "config", "authorization", "authorizer"}, "default"},
		{[]string{"server", "config", "authorization", "claimMapper"}, "default"},
		{[]string{"server", "config", "authorization", "permissionsClaimName"}, fileMatch(t, production, `(?m)^\s+permissionsClaimName: (\S+)\s*$`)[1]},
		{[]string{"server", "internalFrontend", "enabled"}, true},
		{[]string{"server", "config", "namespaces", "namespace", "0", "name"}, contract.DefaultNamespace},
		{[]string{"server", "config", "namespaces", "namespace", "0", "retention"}, fileMatch(t, setup, `RETENTION=\$\{RETENTION:-(\w+)\}`)[1]},
	}
	for _, c := range checks {
		if got := at(t, values, c.path...); got != c.want {
			t.Errorf("%s = %v, want %v", strings.Join(c.path, "."), got, c.want)
		}
	}

	// The search attributes: the contract's, in setup.sh and in the chart's Job alike.
	want := searchAttributeList()
	if got := fileMatch(t, setup, `for sa in ([^;]+);`)[1]; got != want {
		t.Errorf("setup.sh registers %q, the contract has %q", got, want)
	}
	script := at(t, values, "extraObjects", "0", "spec", "template", "spec", "containers", "0", "args", "0").(string)
	if got := regexp.MustCompile(`for sa in ([^;]+);`).FindStringSubmatch(script); got == nil || got[1] != want {
		t.Errorf("the search attribute Job registers %v, the contract has %q", got, want)
	}
	env := fmt.Sprint(at(t, values, "extraObjects", "0", "spec", "template", "spec", "containers", "0", "env"))
	if !strings.Contains(env, contract.DefaultNamespace) {
		t.Errorf("the search attribute Job's env %s does not name namespace %s", env, contract.DefaultNamespace)
	}
}
