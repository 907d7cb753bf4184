package check

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// TestServeIsHardenedAndFindsItsFiles: matih serve's pod runs as the workers do
// (non-root, read-only root, no capabilities, no service account token), every
// file its flags and variables name is under a mount of its Secret, and its audit
// trail is on a claim, not in the pod.
func TestServeIsHardenedAndFindsItsFiles(t *testing.T) {
	objs := render(t, filepath.Join(k8sDir(t), "serve"))
	d := one[*appsv1.Deployment](t, objs, "Deployment")
	pod := d.Spec.Template.Spec
	c := container(t, d)
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("automountServiceAccountToken: want false")
	}
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Errorf("container security context: want a read-only root, no privilege escalation and every capability dropped, got %+v", sc)
	}
	if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot {
		t.Error("pod: want runAsNonRoot")
	}
	mounts := map[string]corev1.VolumeMount{}
	for _, m := range c.VolumeMounts {
		mounts[m.MountPath] = m
	}
	var paths []string
	for _, a := range c.Args {
		if _, v, ok := strings.Cut(a, "="); ok && strings.HasPrefix(v, "/") {
			paths = append(paths, v)
		}
	}
	for _, e := range c.Env {
		if strings.HasPrefix(e.Value, "/etc/") {
			paths = append(paths, e.Value)
		}
	}
	for _, p := range paths {
		m, ok := mounts[filepath.Dir(p)]
		if !ok {
			t.Errorf("%s: no volume is mounted at %s", p, filepath.Dir(p))
			continue
		}
		if strings.HasPrefix(p, "/etc/") && !m.ReadOnly {
			t.Errorf("%s: its mount %s should be read-only", p, m.MountPath)
		}
	}
	audit := mounts["/var/lib/matih/audit"]
	for _, v := range pod.Volumes {
		if v.Name == audit.Name && v.PersistentVolumeClaim == nil {
			t.Errorf("the audit trail's volume %s is not a claim: it would not outlive the pod", v.Name)
		}
	}
	one[*corev1.PersistentVolumeClaim](t, objs, "PersistentVolumeClaim")
	svc := one[*corev1.Service](t, objs, "Service")
	if len(svc.Spec.Ports) != 2 {
		t.Errorf("Service: want HTTPS and SSH, got %v", svc.Spec.Ports)
	}
}
