// Package check holds what the deploy files are checked with: Kubernetes manifests
// rendered by kustomize and decoded strictly into their Kubernetes API types, the
// metric names PromQL expressions use, and the metric names a worker's /metrics
// serves. Its tests run them over deploy/.
package check

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// BuildLabel names a worker build on its Deployment, selectors and pods; the
// container reads it back through the downward API as MATIH_BUILD_ID.
const BuildLabel = "matih.io/build-id"

// Image is the image every worker container runs; a build sets its tag.
const Image = "matih/ops"

// Object is one rendered Kubernetes object, decoded into its API type.
type Object struct {
	APIVersion, Kind, Namespace, Name string
	// Value is a pointer to the k8s.io/api type of the object's kind, e.g.
	// *appsv1.Deployment.
	Value any
}

func (o Object) String() string {
	return fmt.Sprintf("%s %s/%s", o.Kind, o.Namespace, o.Name)
}

// kinds maps each apiVersion and kind the deploy files use to its API type. A kind
// missing here is an error, so a new kind gets a strict decoder before it ships.
var kinds = map[string]func() any{
	"v1/Namespace":                           func() any { return &corev1.Namespace{} },
	"v1/ConfigMap":                           func() any { return &corev1.ConfigMap{} },
	"v1/Secret":                              func() any { return &corev1.Secret{} },
	"v1/Service":                             func() any { return &corev1.Service{} },
	"v1/PersistentVolumeClaim":               func() any { return &corev1.PersistentVolumeClaim{} },
	"apps/v1/Deployment":                     func() any { return &appsv1.Deployment{} },
	"policy/v1/PodDisruptionBudget":          func() any { return &policyv1.PodDisruptionBudget{} },
	"autoscaling/v2/HorizontalPodAutoscaler": func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"networking.k8s.io/v1/NetworkPolicy":     func() any { return &networkingv1.NetworkPolicy{} },
	// The Temporal Worker Controller's resources: checked against its CRDs (crd.go).
	"temporal.io/v1alpha1/WorkerDeployment": func() any { return &Custom{} },
	"temporal.io/v1alpha1/Connection":       func() any { return &Custom{} },
}

// Decode decodes one object's YAML strictly: an unknown or duplicated field, a
// value of the wrong type, or a kind without a mapped type is an error.
func Decode(doc []byte) (Object, error) {
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
	}
	if err := yaml.Unmarshal(doc, &head); err != nil {
		return Object{}, err
	}
	o := Object{APIVersion: head.APIVersion, Kind: head.Kind, Namespace: head.Metadata.Namespace, Name: head.Metadata.Name}
	mk, ok := kinds[head.APIVersion+"/"+head.Kind]
	if !ok {
		return o, fmt.Errorf("%s: no API type mapped for apiVersion %q kind %q (add it to the kinds table)", o, head.APIVersion, head.Kind)
	}
	o.Value = mk()
	if err := yaml.UnmarshalStrict(doc, o.Value); err != nil {
		return o, fmt.Errorf("%s: %w", o, err)
	}
	return o, nil
}

// DecodeFile decodes every document of a multi-document YAML file strictly.
func DecodeFile(path string) ([]Object, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var objs []Object
	for i, doc := range splitDocuments(b) {
		o, err := Decode(doc)
		if err != nil {
			return nil, fmt.Errorf("%s, document %d: %w", path, i+1, err)
		}
		objs = append(objs, o)
	}
	return objs, nil
}

// splitDocuments splits YAML at "---" lines and drops documents that hold only
// comments or nothing.
func splitDocuments(b []byte) [][]byte {
	var docs [][]byte
	var cur bytes.Buffer
	flush := func() {
		if hasContent(cur.Bytes()) {
			docs = append(docs, bytes.Clone(cur.Bytes()))
		}
		cur.Reset()
	}
	for _, line := range bytes.SplitAfter(b, []byte("\n")) {
		if t := bytes.TrimRight(line, " \t\r\n"); bytes.Equal(t, []byte("---")) {
			flush()
			continue
		}
		cur.Write(line)
	}
	flush()
	return docs
}

func hasContent(doc []byte) bool {
	for _, line := range strings.Split(string(doc), "\n") {
		t := strings.TrimSpace(line)
		if t != "" && !strings.HasPrefix(t, "#") {
			return true
		}
	}
	return false
}

// Render builds the kustomization in dir as `kubectl apply -k dir` would (the
// kustomize API with its default options: files only from inside dir) and decodes
// every object strictly.
func Render(dir string) ([]Object, error) {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize %s: %w", dir, err)
	}
	var objs []Object
	for _, r := range m.Resources() {
		doc, err := r.AsYAML()
		if err != nil {
			return nil, fmt.Errorf("kustomize %s: %w", dir, err)
		}
		o, err := Decode(doc)
		if err != nil {
			return nil, fmt.Errorf("kustomize %s: %w", dir, err)
		}
		objs = append(objs, o)
	}
	return objs, nil
}

// BuildOverlay is the kustomization a rollout generates to render one build of a
// worker: workerDir with the build's name suffix, its label on selectors and pod
// templates, and its image tag. workerDir must be relative to the overlay's folder:
// kustomize (kubectl's too) refuses an absolute path as a resource ("new root
// cannot be absolute").
func BuildOverlay(workerDir, build, tag string) string {
	return fmt.Sprintf(`apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [%s]
nameSuffix: -%s
labels: [{pairs: {%s: %s}, includeSelectors: true, includeTemplates: true}]
images: [{name: %s, newTag: %s}]
`, workerDir, build, BuildLabel, build, Image, tag)
}

// RenderBuild writes BuildOverlay into a new folder under tmp, naming workerDir by
// its path relative to that folder, and renders it.
func RenderBuild(tmp, workerDir, build, tag string) ([]Object, error) {
	abs, err := filepath.Abs(workerDir)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(tmp, "build-")
	if err != nil {
		return nil, err
	}
	dir, err = filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, err
	}
	if abs, err = filepath.EvalSymlinks(abs); err != nil {
		return nil, err
	}
	rel, err := filepath.Rel(dir, abs)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(BuildOverlay(rel, build, tag)), 0o644); err != nil {
		return nil, err
	}
	return Render(dir)
}

// Kustomizations lists the folders under root that hold a kustomization.yaml.
func Kustomizations(root string) ([]string, error) {
	var dirs []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && d.Name() == "kustomization.yaml" {
			dirs = append(dirs, filepath.Dir(path))
		}
		return nil
	})
	sort.Strings(dirs)
	return dirs, err
}
