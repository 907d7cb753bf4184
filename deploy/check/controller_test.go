package check

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// controllerCRDs loads the Worker Controller's WorkerDeployment and Connection CRDs
// from its module, downloaded at the pinned version from the module proxy.
func controllerCRDs(t *testing.T) map[string]CRD {
	t.Helper()
	out, err := exec.Command("go", "mod", "download", "-json", WorkerControllerModule).Output()
	if err != nil {
		t.Fatalf("go mod download %s: %v", WorkerControllerModule, err)
	}
	var mod struct{ Dir, Error string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		t.Fatalf("go mod download %s: %s %v", WorkerControllerModule, mod.Error, err)
	}
	crds := map[string]CRD{}
	for _, f := range []string{"temporal.io_workerdeployments.yaml", "temporal.io_connections.yaml"} {
		crd, err := LoadCRD(filepath.Join(mod.Dir, WorkerControllerCRDs, f))
		if err != nil {
			t.Fatal(err)
		}
		crds[crd.Kind] = crd
	}
	return crds
}

// controllerResources renders deploy/kubernetes/controller.
func controllerResources(t *testing.T) []Object {
	t.Helper()
	return render(t, filepath.Join(k8sDir(t), "controller"))
}

// TestControllerResourcesFollowTheControllersCRDs: each WorkerDeployment and the
// Connection pass the schema the controller's own CRDs give, strictly; one per
// worker, all on the one Connection, Progressive, with a mutual-TLS Secret the
// environment supplies.
func TestControllerResourcesFollowTheControllersCRDs(t *testing.T) {
	crds := controllerCRDs(t)
	objs := controllerResources(t)
	seen := map[string]bool{}
	for _, o := range objs {
		crd, ok := crds[o.Kind]
		if !ok {
			t.Errorf("%s: not a kind of the Worker Controller", o)
			continue
		}
		for _, err := range ValidateCustom(crd, *o.Value.(*Custom)) {
			t.Errorf("%s: %v", o, err)
		}
		seen[o.Kind+"/"+o.Name] = true
	}
	for _, w := range workers {
		if !seen["WorkerDeployment/matih-"+w] {
			t.Errorf("no WorkerDeployment matih-%s (the worker accepts NAMESPACE/matih-%s as its deployment name)", w, w)
		}
	}
	if !seen["Connection/matih-temporal"] {
		t.Errorf("no Connection matih-temporal")
	}
	var conn struct {
		Spec struct {
			MutualTLSSecretRef struct{ Name string } `json:"mutualTLSSecretRef"`
		}
	}
	for _, o := range objs {
		b, _ := json.Marshal(o.Value)
		switch o.Kind {
		case "Connection":
			_ = json.Unmarshal(b, &conn)
		case "WorkerDeployment":
			var wd struct {
				Spec struct {
					WorkerOptions struct{ ConnectionRef struct{ Name string } } `json:"workerOptions"`
					Rollout       struct{ Strategy string }
				}
			}
			_ = json.Unmarshal(b, &wd)
			if wd.Spec.WorkerOptions.ConnectionRef.Name != "matih-temporal" || wd.Spec.Rollout.Strategy != "Progressive" {
				t.Errorf("%s: connection %q, strategy %q; want matih-temporal, Progressive", o, wd.Spec.WorkerOptions.ConnectionRef.Name, wd.Spec.Rollout.Strategy)
			}
		}
	}
	if ex := perEnvironment(t); len(ex.keys["Secret/"+conn.Spec.MutualTLSSecretRef.Name]) == 0 {
		t.Errorf("the Connection's mutualTLSSecretRef %q is not a Secret of secrets.example.yaml", conn.Spec.MutualTLSSecretRef.Name)
	}
}

// TestTheCRDCheckRefusesWhatTheAPIServerWould: a misspelt field, a missing
// required one, a value outside its enum and a word for a number each fail.
func TestTheCRDCheckRefusesWhatTheAPIServerWould(t *testing.T) {
	crds := controllerCRDs(t)
	var wd Object
	for _, o := range controllerResources(t) {
		if o.Kind == "WorkerDeployment" {
			wd = o
		}
	}
	cases := map[string]struct {
		mutate func(spec map[string]any)
		want   string
	}{
		"misspelt":     {func(s map[string]any) { s["rollout"].(map[string]any)["stratgy"] = "Manual" }, "spec.rollout.stratgy: unknown field"},
		"missing":      {func(s map[string]any) { delete(s, "workerOptions") }, "spec.workerOptions: required"},
		"enum":         {func(s map[string]any) { s["rollout"].(map[string]any)["strategy"] = "Fast" }, "spec.rollout.strategy: Fast is not one of"},
		"type":         {func(s map[string]any) { s["replicas"] = "two" }, "spec.replicas: expected an integer"},
		"pod template": {func(s map[string]any) { s["template"].(map[string]any)["spec"].(map[string]any)["hostNetwrk"] = true }, "spec.template.spec.hostNetwrk: unknown field"},
	}
	for name, c := range cases {
		b, _ := json.Marshal(wd.Value)
		var obj Custom
		if err := json.Unmarshal(b, &obj); err != nil {
			t.Fatal(err)
		}
		c.mutate(obj["spec"].(map[string]any))
		errs := ValidateCustom(crds["WorkerDeployment"], obj)
		if len(errs) == 0 || !strings.Contains(errs[0].Error(), c.want) {
			t.Errorf("%s: got %v, want %q", name, errs, c.want)
		}
	}
}

// TestControllerTemplatesAreTheDeployments: each WorkerDeployment's pod template is
// the kustomize Deployment's, less what the controller sets itself (the Temporal
// address, namespace, client certificate, deployment name and build id) and with
// the image tag a rollout sets, so the two paths run the same pods.
func TestControllerTemplatesAreTheDeployments(t *testing.T) {
	controllerSets := map[string]bool{"TEMPORAL_ADDRESS": true, "TEMPORAL_NAMESPACE": true, "TEMPORAL_TLS": true, "TEMPORAL_TLS_SERVER_NAME": true,
		"TEMPORAL_TLS_CLIENT_CERT_PATH": true, "TEMPORAL_TLS_CLIENT_KEY_PATH": true, "MATIH_BUILD_ID": true}
	templates := map[string]corev1.PodTemplateSpec{}
	for _, o := range controllerResources(t) {
		if o.Kind != "WorkerDeployment" {
			continue
		}
		b, _ := json.Marshal((*o.Value.(*Custom))["spec"].(map[string]any)["template"])
		var tpl corev1.PodTemplateSpec
		if err := yaml.UnmarshalStrict(b, &tpl); err != nil {
			t.Fatalf("%s: the pod template does not decode strictly: %v", o, err)
		}
		templates[strings.TrimPrefix(o.Name, "matih-")] = tpl
	}
	for _, w := range workers {
		objs, err := DecodeFile(filepath.Join(k8sDir(t), "workers", w, "deployment.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		want := objs[0].Value.(*appsv1.Deployment).Spec.Template
		for i, c := range want.Spec.Containers {
			var env []corev1.EnvVar
			for _, e := range c.Env {
				if !controllerSets[e.Name] {
					env = append(env, e)
				}
			}
			want.Spec.Containers[i].Env = env
		}
		got := templates[w]
		for i, c := range got.Spec.Containers {
			if name, _, ok := strings.Cut(c.Image, ":"); ok && name == Image {
				got.Spec.Containers[i].Image = Image
			}
		}
		if !reflect.DeepEqual(want, got) {
			a, _ := yaml.Marshal(want)
			b, _ := yaml.Marshal(got)
			t.Errorf("%s: the WorkerDeployment's pod template is not the Deployment's:\n--- Deployment\n%s\n--- WorkerDeployment\n%s", w, a, b)
		}
	}
}
