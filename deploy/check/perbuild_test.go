package check

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	policyv1 "k8s.io/api/policy/v1"
)

// TestPerBuildRender renders each worker as a rollout does, through the generated
// overlay, for two builds: every object carries the build's suffix, the
// Deployment's selector and pods the build label (so the two builds' Deployments,
// budgets and autoscalers never select each other's pods), the HPA scales its own
// build's Deployment, the image has the build's tag, and the ConfigMaps and Secrets
// the pods name keep their base names.
func TestPerBuildRender(t *testing.T) {
	const buildA, buildB, tag = "4f2a9c1e7b3d", "9e8d7c6b5a41-dirty", "4f2a9c1e7b3d"
	tmp := t.TempDir()
	for _, w := range workers {
		t.Run(w, func(t *testing.T) {
			dir := filepath.Join(k8sDir(t), "workers", w)
			plain := render(t, dir)
			plainRefs := podReferences(one[*appsv1.Deployment](t, plain, "Deployment"))
			a, err := RenderBuild(tmp, dir, buildA, tag)
			if err != nil {
				t.Fatal(err)
			}
			b, err := RenderBuild(tmp, dir, buildB, buildB)
			if err != nil {
				t.Fatal(err)
			}
			if len(a) != len(plain) {
				t.Errorf("the build renders %d objects, the worker dir %d", len(a), len(plain))
			}
			for _, o := range a {
				switch o.Kind {
				case "ConfigMap", "Secret", "Namespace":
					t.Errorf("%s in a build's render: it would be suffixed and shadow the base's", o)
				}
				if !strings.HasSuffix(o.Name, "-"+buildA) {
					t.Errorf("%s: name lacks the build suffix -%s", o, buildA)
				}
			}
			d := one[*appsv1.Deployment](t, a, "Deployment")
			if d.Name != w+"-"+buildA {
				t.Errorf("Deployment %q, want %q", d.Name, w+"-"+buildA)
			}
			if got := d.Spec.Selector.MatchLabels[BuildLabel]; got != buildA {
				t.Errorf("Deployment selector %v lacks %s=%s", d.Spec.Selector.MatchLabels, BuildLabel, buildA)
			}
			if got := d.Spec.Template.Labels[BuildLabel]; got != buildA {
				t.Errorf("pod template labels %v lack %s=%s: MATIH_BUILD_ID would be empty", d.Spec.Template.Labels, BuildLabel, buildA)
			}
			if d.Spec.Template.Labels["app.kubernetes.io/name"] != w {
				t.Errorf("pod template labels %v lost app.kubernetes.io/name=%s", d.Spec.Template.Labels, w)
			}
			c := container(t, d)
			checkBuildIDEnv(t, c)
			if c.Image != Image+":"+tag {
				t.Errorf("image %q, want %s:%s", c.Image, Image, tag)
			}
			if refs := podReferences(d); !slices.Equal(refs.configMaps, plainRefs.configMaps) || !slices.Equal(refs.secrets, plainRefs.secrets) {
				t.Errorf("the build's pods name %+v, want the base names %+v", refs, plainRefs)
			}
			pdb := one[*policyv1.PodDisruptionBudget](t, a, "PodDisruptionBudget")
			if !selects(pdb.Spec.Selector.MatchLabels, d.Spec.Template.Labels) || pdb.Spec.Selector.MatchLabels[BuildLabel] != buildA {
				t.Errorf("PodDisruptionBudget selector %v: want this build's pods only", pdb.Spec.Selector.MatchLabels)
			}
			if w == "worker-pipeline" {
				hpa := one[*autoscalingv2.HorizontalPodAutoscaler](t, a, "HorizontalPodAutoscaler")
				if hpa.Spec.ScaleTargetRef.Name != d.Name {
					t.Errorf("HPA scales %q, want the build's Deployment %q", hpa.Spec.ScaleTargetRef.Name, d.Name)
				}
			}
			// Two builds side by side: disjoint names, and neither selects the other's pods.
			other := one[*appsv1.Deployment](t, b, "Deployment")
			if other.Name == d.Name {
				t.Errorf("two builds render the same Deployment name %q", d.Name)
			}
			if selects(d.Spec.Selector.MatchLabels, other.Spec.Template.Labels) || selects(other.Spec.Selector.MatchLabels, d.Spec.Template.Labels) {
				t.Errorf("builds %s and %s select each other's pods: %v / %v", buildA, buildB, d.Spec.Selector.MatchLabels, other.Spec.Selector.MatchLabels)
			}
			otherPDB := one[*policyv1.PodDisruptionBudget](t, b, "PodDisruptionBudget")
			if selects(otherPDB.Spec.Selector.MatchLabels, d.Spec.Template.Labels) {
				t.Errorf("build %s's PodDisruptionBudget selects build %s's pods", buildB, buildA)
			}
		})
	}
}

// TestBuildOverlayNeedsARelativePath pins down what a rollout's generated overlay
// must do: kustomize (kubectl's as well) refuses a resource folder given by an
// absolute path, so the overlay names the worker's folder relative to its own.
func TestBuildOverlayNeedsARelativePath(t *testing.T) {
	dir := t.TempDir()
	abs := filepath.Join(k8sDir(t), "workers", "worker-notify")
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(BuildOverlay(abs, "b1", "b1")), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Render(dir); err == nil || !strings.Contains(err.Error(), "cannot be absolute") {
		t.Errorf("an absolute resource path rendered (err %v); if kustomize accepts it now, deploy/README.md can say so", err)
	}
}
