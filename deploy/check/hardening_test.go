// The workers' pods as a build applies them: the namespace's Pod Security level and
// what the "restricted" profile asks of every pod and container.

package check

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// The paths the pods mount the per-environment objects at, as the Deployments, the
// connections file and the DSNs name them.
const (
	secretsDir = "/etc/matih/secrets"
	dbCADir    = "/etc/matih/db-ca"
)

const hardenBuild = "4f2a9c1e7b3d"

// renderBuild renders one build of worker w as a rollout does (the objects that
// are applied) and returns them with the Deployment.
func renderBuild(t *testing.T, w string) ([]Object, *appsv1.Deployment) {
	t.Helper()
	objs, err := RenderBuild(t.TempDir(), filepath.Join(k8sDir(t), "workers", w), hardenBuild, hardenBuild)
	if err != nil {
		t.Fatal(err)
	}
	return objs, one[*appsv1.Deployment](t, objs, "Deployment")
}

// TestNamespaceEnforcesRestricted: the namespace carries the Pod Security Admission
// labels for the "restricted" profile in all three modes, enforce pinned to a
// release so that a cluster upgrade does not change what is refused.
func TestNamespaceEnforcesRestricted(t *testing.T) {
	ns := one[*corev1.Namespace](t, render(t, k8sDir(t)), "Namespace")
	release := regexp.MustCompile(`^v1\.[0-9]+$`)
	for _, mode := range []string{"enforce", "audit", "warn"} {
		key := "pod-security.kubernetes.io/" + mode
		if got := ns.Labels[key]; got != "restricted" {
			t.Errorf("namespace label %s=%q, want restricted", key, got)
		}
		v := ns.Labels[key+"-version"]
		if !release.MatchString(v) && !(v == "latest" && mode != "enforce") {
			t.Errorf("namespace label %s-version=%q: want v1.N (enforce) or latest (audit, warn)", key, v)
		}
	}
}

func allContainers(pod corev1.PodSpec) []corev1.Container {
	return append(slices.Clone(pod.InitContainers), pod.Containers...)
}

func envValue(c corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

func volumeByName(pod corev1.PodSpec, name string) *corev1.Volume {
	for i := range pod.Volumes {
		if pod.Volumes[i].Name == name {
			return &pod.Volumes[i]
		}
	}
	return nil
}

// mountOf finds the mount of c that holds path (the deepest one) and its volume.
func mountOf(pod corev1.PodSpec, c corev1.Container, path string) (corev1.VolumeMount, *corev1.Volume, string, bool) {
	var best corev1.VolumeMount
	found := false
	for _, m := range c.VolumeMounts {
		if (path == m.MountPath || strings.HasPrefix(path, m.MountPath+"/")) && len(m.MountPath) > len(best.MountPath) {
			best, found = m, true
		}
	}
	if !found {
		return best, nil, "", false
	}
	return best, volumeByName(pod, best.Name), strings.TrimPrefix(strings.TrimPrefix(path, best.MountPath), "/"), true
}

// restrictedVolume reports whether the "restricted" Pod Security profile allows a
// volume's type.
func restrictedVolume(v corev1.VolumeSource) bool {
	return v.ConfigMap != nil || v.CSI != nil || v.DownwardAPI != nil || v.EmptyDir != nil ||
		v.Ephemeral != nil || v.PersistentVolumeClaim != nil || v.Projected != nil || v.Secret != nil
}

// checkRestricted checks a pod against the controls of the "restricted" Pod
// Security profile that the manifests can break: host namespaces and ports,
// privileged containers, privilege escalation, capabilities, running as root,
// seccomp, and volume types.
func checkRestricted(t *testing.T, pod corev1.PodSpec) {
	t.Helper()
	if pod.HostNetwork || pod.HostPID || pod.HostIPC {
		t.Errorf("restricted: host namespaces (network %v, pid %v, ipc %v)", pod.HostNetwork, pod.HostPID, pod.HostIPC)
	}
	psc := pod.SecurityContext
	if psc == nil {
		psc = &corev1.PodSecurityContext{}
	}
	if psc.RunAsUser != nil && *psc.RunAsUser == 0 {
		t.Errorf("restricted: the pod runs as user 0")
	}
	for _, v := range pod.Volumes {
		if !restrictedVolume(v.VolumeSource) {
			t.Errorf("restricted: volume %s is of a type the profile refuses", v.Name)
		}
	}
	for _, c := range allContainers(pod) {
		sc := c.SecurityContext
		if sc == nil {
			t.Errorf("restricted: container %s has no securityContext", c.Name)
			continue
		}
		if sc.Privileged != nil && *sc.Privileged {
			t.Errorf("restricted: container %s is privileged", c.Name)
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Errorf("restricted: container %s must set allowPrivilegeEscalation: false", c.Name)
		}
		if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
			t.Errorf("restricted: container %s must drop ALL capabilities", c.Name)
		} else if add := sc.Capabilities.Add; len(add) > 1 || len(add) == 1 && add[0] != "NET_BIND_SERVICE" {
			t.Errorf("restricted: container %s adds capabilities %v", c.Name, add)
		}
		nonRoot := psc.RunAsNonRoot
		if sc.RunAsNonRoot != nil {
			nonRoot = sc.RunAsNonRoot
		}
		if nonRoot == nil || !*nonRoot {
			t.Errorf("restricted: container %s must run with runAsNonRoot: true", c.Name)
		}
		if sc.RunAsUser != nil && *sc.RunAsUser == 0 {
			t.Errorf("restricted: container %s runs as user 0", c.Name)
		}
		seccomp := psc.SeccompProfile
		if sc.SeccompProfile != nil {
			seccomp = sc.SeccompProfile
		}
		if seccomp == nil || (seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault && seccomp.Type != corev1.SeccompProfileTypeLocalhost) {
			t.Errorf("restricted: container %s needs a RuntimeDefault or Localhost seccomp profile", c.Name)
		}
		for _, p := range c.Ports {
			if p.HostPort != 0 {
				t.Errorf("restricted: container %s uses host port %d", c.Name, p.HostPort)
			}
		}
	}
}

// TestWorkerPodsAreHardened checks each worker's pods as a build applies them: the
// "restricted" profile, no service account token, a read-only root filesystem in
// every container with emptyDirs for the data directory and /tmp, and secrets as
// read-only files only: no envFrom of a Secret, no variable from a Secret's key,
// and Secret volumes that others cannot read.
func TestWorkerPodsAreHardened(t *testing.T) {
	for _, w := range workers {
		t.Run(w, func(t *testing.T) {
			_, d := renderBuild(t, w)
			pod := d.Spec.Template.Spec
			checkRestricted(t, pod)
			if a := pod.AutomountServiceAccountToken; a == nil || *a {
				t.Errorf("automountServiceAccountToken unset or true, want false: the workers never call the Kubernetes API")
			}
			for _, c := range allContainers(pod) {
				if sc := c.SecurityContext; sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
					t.Errorf("container %s: readOnlyRootFilesystem must be true", c.Name)
				}
				for _, e := range c.EnvFrom {
					if e.SecretRef != nil {
						t.Errorf("container %s: envFrom Secret %s: secrets are mounted as files, read through *_FILE variables", c.Name, e.SecretRef.Name)
					}
				}
				for _, e := range c.Env {
					if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
						t.Errorf("container %s: %s comes from Secret %s: mount it and name the file", c.Name, e.Name, e.ValueFrom.SecretKeyRef.Name)
					}
				}
			}
			c := container(t, d)
			dataDir := envValue(c, "MATIH_DATA_DIR")
			for _, dir := range []string{"/tmp", dataDir} {
				m, v, rest, ok := mountOf(pod, c, dir)
				if !ok || rest != "" || v == nil || v.EmptyDir == nil || m.ReadOnly {
					t.Errorf("%q: want a writable emptyDir mounted there (the root filesystem is read-only), got mount %+v", dir, m)
				}
			}
			for _, v := range pod.Volumes {
				if v.Secret == nil {
					continue
				}
				mode := v.Secret.DefaultMode
				switch {
				case mode == nil:
					t.Errorf("Secret volume %s: no defaultMode, so 0644: readable by others", v.Name)
				case *mode&0o007 != 0:
					t.Errorf("Secret volume %s: mode %#o, readable by others", v.Name, *mode)
				case *mode&0o070 != 0 && (pod.SecurityContext == nil || pod.SecurityContext.FSGroup == nil):
					t.Errorf("Secret volume %s: mode %#o is for a group, and the pod sets no fsGroup", v.Name, *mode)
				case *mode&0o070 == 0:
					// Root's files: a non-root container could not read them.
					t.Errorf("Secret volume %s: mode %#o: the files are root's, so a non-root pod reads them only through fsGroup and group read (0440)", v.Name, *mode)
				}
				for _, c := range allContainers(pod) {
					for _, m := range c.VolumeMounts {
						if m.Name == v.Name && !m.ReadOnly {
							t.Errorf("container %s mounts Secret volume %s writable", c.Name, v.Name)
						}
					}
				}
			}
		})
	}
}
