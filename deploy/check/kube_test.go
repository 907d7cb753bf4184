package check

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/yaml"
)

// workers are the worker binaries, each with its kustomization under
// deploy/kubernetes/workers/.
var workers = []string{"worker-pipeline", "worker-infra", "worker-notify"}

const workersNamespace = "matih-workers"

func deployDir(t *testing.T) string {
	t.Helper()
	d, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func k8sDir(t *testing.T) string { return filepath.Join(deployDir(t), "kubernetes") }

func render(t *testing.T, dir string) []Object {
	t.Helper()
	objs, err := Render(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) == 0 {
		t.Fatalf("%s renders no objects", dir)
	}
	return objs
}

func byKind(objs []Object, kind string) []Object {
	var out []Object
	for _, o := range objs {
		if o.Kind == kind {
			out = append(out, o)
		}
	}
	return out
}

func one[T any](t *testing.T, objs []Object, kind string) T {
	t.Helper()
	got := byKind(objs, kind)
	if len(got) != 1 {
		t.Fatalf("want one %s, got %d: %v", kind, len(got), got)
	}
	return got[0].Value.(T)
}

// TestEveryKustomizationRendersAndDecodesStrictly renders every kustomization under
// deploy/kubernetes and decodes each object into its Kubernetes API type with
// unknown fields as errors; the kustomization files themselves are decoded strictly
// too, and so is the example of the secrets, which no kustomization lists.
func TestEveryKustomizationRendersAndDecodesStrictly(t *testing.T) {
	root := k8sDir(t)
	dirs, err := Kustomizations(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{root}
	for _, w := range workers {
		want = append(want, filepath.Join(root, "workers", w))
	}
	for _, w := range want {
		if !slices.Contains(dirs, w) {
			t.Errorf("no kustomization.yaml in %s (found %v)", w, dirs)
		}
	}
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.UnmarshalStrict(b, &types.Kustomization{}); err != nil {
			t.Errorf("%s/kustomization.yaml: %v", dir, err)
		}
		for _, o := range render(t, dir) {
			if o.Kind != "Namespace" && o.Namespace != workersNamespace {
				t.Errorf("%s (from %s): namespace %q, want %q", o, dir, o.Namespace, workersNamespace)
			}
		}
	}
	example := perEnvironment(t)
	var wantSecrets []string
	for _, w := range workers {
		wantSecrets = append(wantSecrets, w+"-secrets")
	}
	wantSecrets = append(wantSecrets, codecSecret, serveSecret, controllerTLSSecret)
	slices.Sort(wantSecrets)
	if !slices.Equal(example.secrets, wantSecrets) {
		t.Errorf("secrets.example.yaml: Secrets %v, want one per worker and %s: %v", example.secrets, codecSecret, wantSecrets)
	}
	if !slices.Equal(example.configMaps, []string{dbCAConfigMap}) {
		t.Errorf("secrets.example.yaml: ConfigMaps %v, want [%s]", example.configMaps, dbCAConfigMap)
	}
}

// Objects each environment supplies beside the base, shown in secrets.example.yaml.
const (
	codecSecret = "matih-codec-keys"
	serveSecret = "matih-serve-secrets"
	// controllerTLSSecret is the Worker Controller Connection's client certificate.
	controllerTLSSecret = "matih-worker-tls"
	dbCAConfigMap       = "matih-db-ca"
)

// example is secrets.example.yaml decoded: the names of its Secrets and ConfigMaps,
// and each one's keys.
type example struct {
	secrets, configMaps []string
	keys                map[string][]string // "Secret/name" or "ConfigMap/name" -> keys
}

func perEnvironment(t *testing.T) example {
	t.Helper()
	objs, err := DecodeFile(filepath.Join(k8sDir(t), "secrets.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ex := example{keys: map[string][]string{}}
	for _, o := range objs {
		if o.Namespace != workersNamespace {
			t.Errorf("secrets.example.yaml: %s: namespace %q, want %q", o, o.Namespace, workersNamespace)
		}
		var keys []string
		switch v := o.Value.(type) {
		case *corev1.Secret:
			ex.secrets = append(ex.secrets, o.Name)
			for k := range v.StringData {
				keys = append(keys, k)
			}
			for k := range v.Data {
				keys = append(keys, k)
			}
		case *corev1.ConfigMap:
			ex.configMaps = append(ex.configMaps, o.Name)
			for k := range v.Data {
				keys = append(keys, k)
			}
		default:
			t.Errorf("secrets.example.yaml: %s: only Secrets and ConfigMaps belong there", o)
		}
		slices.Sort(keys)
		ex.keys[o.Kind+"/"+o.Name] = keys
	}
	slices.Sort(ex.secrets)
	slices.Sort(ex.configMaps)
	return ex
}

func TestDecodeRefusesUnknownFieldsAndKinds(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown field": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replica: 2}\n",
		"wrong type":    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: [1]}\n",
		"unmapped kind": "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n",
		"old version":   "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata: {name: x}\n",
		"policy field":  "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x}\nspec: {podSelector: {}, policyType: [Egress]}\n",
		"policy port":   "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x}\nspec: {podSelector: {}, egress: [{ports: [{protocol: TCP, port: 53, portt: 54}]}]}\n",
		"policy type":   "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x}\nspec: {podSelector: [a]}\n",
		"beta policy":   "apiVersion: extensions/v1beta1\nkind: NetworkPolicy\nmetadata: {name: x}\n",
	} {
		if _, err := Decode([]byte(doc)); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
}

// TestBaseHoldsTheSharedObjects: the namespace and the ConfigMaps, with the fixed
// names the workers mount them by, and nothing of any one build.
func TestBaseHoldsTheSharedObjects(t *testing.T) {
	objs := render(t, k8sDir(t))
	ns := one[*corev1.Namespace](t, objs, "Namespace")
	if ns.Name != workersNamespace {
		t.Errorf("namespace %q, want %q", ns.Name, workersNamespace)
	}
	var cms []string
	for _, o := range byKind(objs, "ConfigMap") {
		cms = append(cms, o.Name)
	}
	slices.Sort(cms)
	if want := []string{"worker-connections", "worker-notify-routing"}; !slices.Equal(cms, want) {
		t.Errorf("ConfigMaps %v, want %v (fixed names, no content hash)", cms, want)
	}
	for _, o := range objs {
		if o.Kind != "Namespace" && o.Kind != "ConfigMap" {
			t.Errorf("%s in the base: workers' objects belong in workers/<worker>/", o)
		}
	}
}

// references are the base objects a worker's pods name.
type references struct{ configMaps, secrets []string }

func podReferences(d *appsv1.Deployment) references {
	var r references
	for _, v := range d.Spec.Template.Spec.Volumes {
		if v.ConfigMap != nil {
			r.configMaps = append(r.configMaps, v.ConfigMap.Name)
		}
		if v.Secret != nil {
			r.secrets = append(r.secrets, v.Secret.SecretName)
		}
	}
	for _, c := range d.Spec.Template.Spec.Containers {
		for _, e := range c.EnvFrom {
			if e.SecretRef != nil {
				r.secrets = append(r.secrets, e.SecretRef.Name)
			}
			if e.ConfigMapRef != nil {
				r.configMaps = append(r.configMaps, e.ConfigMapRef.Name)
			}
		}
	}
	return r
}

func container(t *testing.T, d *appsv1.Deployment) corev1.Container {
	t.Helper()
	if len(d.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("%s: want one container, got %d", d.Name, len(d.Spec.Template.Spec.Containers))
	}
	return d.Spec.Template.Spec.Containers[0]
}

// TestWorkerDirs checks each worker's kustomization on its own: one Deployment named
// after the worker, its build ID from the pod label, a grace period longer than
// the drain, and only references to objects the base (ConfigMaps) or the secrets
// example (Secrets, the CA ConfigMap) define.
func TestWorkerDirs(t *testing.T) {
	base := render(t, k8sDir(t))
	var baseConfigMaps []string
	for _, o := range byKind(base, "ConfigMap") {
		baseConfigMaps = append(baseConfigMaps, o.Name)
	}
	ex := perEnvironment(t)
	secrets := ex.secrets
	baseConfigMaps = append(baseConfigMaps, ex.configMaps...)
	for _, w := range workers {
		t.Run(w, func(t *testing.T) {
			objs := render(t, filepath.Join(k8sDir(t), "workers", w))
			for _, o := range objs {
				switch o.Kind {
				case "ConfigMap", "Secret", "Namespace":
					t.Errorf("%s in workers/%s: shared objects live in the base, or a build's suffix would rename them", o, w)
				}
			}
			d := one[*appsv1.Deployment](t, objs, "Deployment")
			if d.Name != w {
				t.Errorf("Deployment %q, want %q", d.Name, w)
			}
			c := container(t, d)
			checkBuildIDEnv(t, c)
			grace := d.Spec.Template.Spec.TerminationGracePeriodSeconds
			stop := flagValue(c.Args, "--stop-timeout")
			st, err := time.ParseDuration(stop)
			if err != nil || grace == nil || time.Duration(*grace)*time.Second <= st {
				t.Errorf("terminationGracePeriodSeconds %v must exceed --stop-timeout %q, or SIGKILL cuts the drain", grace, stop)
			}
			refs := podReferences(d)
			for _, cm := range refs.configMaps {
				if !slices.Contains(baseConfigMaps, cm) {
					t.Errorf("mounts ConfigMap %q, which neither the base nor secrets.example.yaml defines (they have %v)", cm, baseConfigMaps)
				}
			}
			for _, s := range refs.secrets {
				if !slices.Contains(secrets, s) {
					t.Errorf("reads Secret %q, which secrets.example.yaml does not show (it has %v)", s, secrets)
				}
			}
			pdb := one[*policyv1.PodDisruptionBudget](t, objs, "PodDisruptionBudget")
			if !selects(pdb.Spec.Selector.MatchLabels, d.Spec.Template.Labels) {
				t.Errorf("PodDisruptionBudget selector %v does not select the pods %v", pdb.Spec.Selector.MatchLabels, d.Spec.Template.Labels)
			}
			if w == "worker-pipeline" {
				hpa := one[*autoscalingv2.HorizontalPodAutoscaler](t, objs, "HorizontalPodAutoscaler")
				if hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas != 2 || hpa.Spec.MaxReplicas != 10 {
					t.Errorf("HPA replicas %v..%d, want 2..10", hpa.Spec.MinReplicas, hpa.Spec.MaxReplicas)
				}
				if ref := hpa.Spec.ScaleTargetRef; ref.Kind != "Deployment" || ref.Name != d.Name {
					t.Errorf("HPA scales %s/%s, want Deployment/%s", ref.Kind, ref.Name, d.Name)
				}
				if d.Spec.Replicas != nil {
					t.Errorf("Deployment sets replicas %d: the HPA owns the count, and every apply would reset it", *d.Spec.Replicas)
				}
			} else if len(byKind(objs, "HorizontalPodAutoscaler")) != 0 {
				t.Errorf("unexpected HPA for %s", w)
			}
		})
	}
}

func checkBuildIDEnv(t *testing.T, c corev1.Container) {
	t.Helper()
	for _, e := range c.Env {
		if e.Name != "MATIH_BUILD_ID" {
			continue
		}
		want := "metadata.labels['" + BuildLabel + "']"
		if e.Value != "" || e.ValueFrom == nil || e.ValueFrom.FieldRef == nil || e.ValueFrom.FieldRef.FieldPath != want {
			t.Errorf("MATIH_BUILD_ID must come from the pod label through fieldRef %s, got %+v", want, e)
		}
		return
	}
	t.Errorf("container %s has no MATIH_BUILD_ID", c.Name)
}

func flagValue(args []string, name string) string {
	for i, a := range args {
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
	}
	return ""
}

// selects reports whether a matchLabels selector selects objects with labels.
func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}
