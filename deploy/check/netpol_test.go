// The workers' NetworkPolicies: default deny, the worker's own HTTP port in, and out
// only to the named services and ports its settings reach.

package check

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// policyPorts lists a set of NetworkPolicy ports as "TCP/443".
func policyPorts(t *testing.T, ports []networkingv1.NetworkPolicyPort) []string {
	t.Helper()
	var out []string
	for _, p := range ports {
		proto := corev1.ProtocolTCP
		if p.Protocol != nil {
			proto = *p.Protocol
		}
		if p.Port == nil || p.Port.IntValue() == 0 || p.EndPort != nil {
			t.Errorf("NetworkPolicy port %+v: want one port by number", p)
			continue
		}
		out = append(out, fmt.Sprintf("%s/%d", proto, p.Port.IntValue()))
	}
	return out
}

// egressPorts are the ports each worker reaches, and why: DNS, the Temporal
// frontend, PostgreSQL (the Iceberg catalog and the connections' databases),
// HTTPS (S3 and STS, Airflow, Slack, PagerDuty) and SMTP submission.
var egressPorts = map[string][]string{
	"worker-pipeline": {"UDP/53", "TCP/53", "TCP/7233", "TCP/5432", "TCP/443"},
	"worker-infra":    {"UDP/53", "TCP/53", "TCP/7233", "TCP/5432", "TCP/443"},
	"worker-notify":   {"UDP/53", "TCP/53", "TCP/7233", "TCP/443", "TCP/587"},
}

// hostPort is the port of a host:port or a URL, else defaultPort.
func hostPort(addr, defaultPort string) string {
	if u, err := url.Parse(addr); err == nil && u.Scheme != "" && u.Host != "" {
		addr = u.Host
	}
	if _, port, err := net.SplitHostPort(addr); err == nil {
		return port
	}
	return defaultPort
}

// TestWorkerNetworkPolicies checks each worker's NetworkPolicy, in the worker's
// folder and in a build's render: it selects the Deployment's pods (a build's,
// its own only), denies by default in both directions (policyTypes Ingress and
// Egress), lets in only the worker's HTTP port, and lets out only to named ports,
// each rule with its peers: DNS in kube-system, the Temporal frontend, and what
// the worker's settings name. No peer selects pods by matchLabels, which the
// build's label would narrow to nothing.
func TestWorkerNetworkPolicies(t *testing.T) {
	for _, w := range workers {
		t.Run(w, func(t *testing.T) {
			plain := render(t, filepath.Join(k8sDir(t), "workers", w))
			built, _ := renderBuild(t, w)
			for _, objs := range [][]Object{plain, built} {
				d := one[*appsv1.Deployment](t, objs, "Deployment")
				np := one[*networkingv1.NetworkPolicy](t, objs, "NetworkPolicy")
				if sel := np.Spec.PodSelector; !selects(sel.MatchLabels, d.Spec.Template.Labels) || len(sel.MatchExpressions) != 0 {
					t.Errorf("%s: podSelector %+v does not select the pods %v", np.Name, sel, d.Spec.Template.Labels)
				}
				if build := d.Spec.Template.Labels[BuildLabel]; build != "" && np.Spec.PodSelector.MatchLabels[BuildLabel] != build {
					t.Errorf("%s: podSelector %v selects other builds' pods too", np.Name, np.Spec.PodSelector.MatchLabels)
				}
				if !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) || !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) {
					t.Errorf("%s: policyTypes %v, want Ingress and Egress (default deny both ways)", np.Name, np.Spec.PolicyTypes)
				}
				c := container(t, d)
				var http string
				for _, p := range c.Ports {
					if p.Name == "http" {
						http = fmt.Sprintf("TCP/%d", p.ContainerPort)
					}
				}
				if http == "" || "TCP/"+hostPort(envValue(c, "MATIH_HTTP_ADDR"), "") != http {
					t.Errorf("container port http %q and MATIH_HTTP_ADDR %q disagree", http, envValue(c, "MATIH_HTTP_ADDR"))
				}
				if len(np.Spec.Ingress) == 0 {
					t.Errorf("%s: no ingress rule: Prometheus could not scrape %s", np.Name, http)
				}
				for _, r := range np.Spec.Ingress {
					if ports := policyPorts(t, r.Ports); !slices.Equal(ports, []string{http}) {
						t.Errorf("%s: ingress rule on %v, want only the worker's HTTP port %s", np.Name, ports, http)
					}
				}
				var egress []string
				for i, r := range np.Spec.Egress {
					ports := policyPorts(t, r.Ports)
					if len(ports) == 0 || len(r.To) == 0 {
						t.Errorf("%s: egress rule %d opens every port or every destination", np.Name, i)
					}
					for _, p := range r.To {
						if p.PodSelector != nil && len(p.PodSelector.MatchLabels) != 0 {
							t.Errorf("%s: egress rule %d selects pods by matchLabels %v: a build's label would be added to them (use matchExpressions)", np.Name, i, p.PodSelector.MatchLabels)
						}
						if p.PodSelector == nil && p.NamespaceSelector == nil && p.IPBlock == nil {
							t.Errorf("%s: egress rule %d has an empty peer", np.Name, i)
						}
					}
					if slices.Contains(ports, "UDP/53") {
						if len(r.To) != 1 || r.To[0].NamespaceSelector == nil || r.To[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] != "kube-system" {
							t.Errorf("%s: DNS (egress rule %d) must go to kube-system only, got %+v", np.Name, i, r.To)
						}
					}
					egress = append(egress, ports...)
				}
				slices.Sort(egress)
				egress = slices.Compact(egress)
				if want := slices.Sorted(slices.Values(egressPorts[w])); !slices.Equal(egress, want) {
					t.Errorf("%s: egress to %v, want %v", np.Name, egress, want)
				}
				// The ports the worker's settings name are open.
				need := []string{"TCP/" + hostPort(envValue(c, "TEMPORAL_ADDRESS"), "7233")}
				if uri := envValue(c, "MATIH_CATALOG_URI"); strings.HasPrefix(uri, "postgres") {
					need = append(need, "TCP/"+hostPort(uri, "5432"))
				}
				if host := envValue(c, "MATIH_SMTP_HOST"); host != "" {
					port := envValue(c, "MATIH_SMTP_PORT")
					if _, err := strconv.Atoi(port); err != nil {
						port = "587"
					}
					need = append(need, "TCP/"+port)
				}
				for _, p := range need {
					if !slices.Contains(egress, p) {
						t.Errorf("%s: the worker's settings reach %s, which no egress rule opens", np.Name, p)
					}
				}
			}
		})
	}
}
