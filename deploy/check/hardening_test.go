package check

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"

	"github.com/matih/ops/shared/codec"
	"github.com/matih/ops/shared/connections"
	"github.com/matih/ops/shared/contract"
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

// secretFile checks that path, read by container c, is a file of a read-only
// mount of a Secret volume (or of the per-environment CA ConfigMap when kind is
// "ConfigMap") and names a key that secrets.example.yaml gives that object.
func secretFile(t *testing.T, ex example, pod corev1.PodSpec, c corev1.Container, what, path, kind string) {
	t.Helper()
	m, v, key, ok := mountOf(pod, c, path)
	if !ok || v == nil || key == "" {
		t.Errorf("%s %q: no mount of container %s holds it", what, path, c.Name)
		return
	}
	if !m.ReadOnly {
		t.Errorf("%s %q: mount %s is writable", what, path, m.Name)
	}
	var name string
	switch {
	case kind == "Secret" && v.Secret != nil:
		name = v.Secret.SecretName
	case kind == "ConfigMap" && v.ConfigMap != nil:
		name = v.ConfigMap.Name
	default:
		t.Errorf("%s %q: volume %s is not a %s volume", what, path, v.Name, kind)
		return
	}
	keys, ok := ex.keys[kind+"/"+name]
	if !ok {
		t.Errorf("%s %q: %s %s is not in secrets.example.yaml", what, path, kind, name)
	} else if !slices.Contains(keys, key) {
		t.Errorf("%s %q: %s %s has no key %q in secrets.example.yaml (it has %v)", what, path, kind, name, key, keys)
	}
}

// checkDSN checks a PostgreSQL DSN of the deploy files: TLS with the server's
// certificate and host name checked (verify-full), against the CA the pods mount.
func checkDSN(t *testing.T, ex example, pod corev1.PodSpec, c corev1.Container, what, dsn string) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Errorf("%s %q: want a postgres:// URL", what, dsn)
		return
	}
	q := u.Query()
	if got := q.Get("sslmode"); got != "verify-full" {
		t.Errorf("%s %q: sslmode=%q, want verify-full (the others do not check the server's host name)", what, dsn, got)
	}
	ca := q.Get("sslrootcert")
	if ca == "" {
		t.Errorf("%s %q: no sslrootcert: the servers' CA is the environment's, not the system's", what, dsn)
		return
	}
	secretFile(t, ex, pod, c, what+" sslrootcert", ca, "ConfigMap")
}

// connectionsFile is the file of files/ a worker's MATIH_CONNECTIONS names, read for
// the paths it names; the worker's own loader reads it in
// TestDatabaseSettingsWorkWithTheirFiles.
func connectionsFile(t *testing.T, path string) map[string]struct {
	Kind         string `json:"kind"`
	DSN          string `json:"dsn"`
	PasswordEnv  string `json:"password_env"`
	PasswordFile string `json:"password_file"`
} {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(k8sDir(t), "files", filepath.Base(path)))
	if err != nil {
		t.Fatal(err)
	}
	var conns map[string]struct {
		Kind         string `json:"kind"`
		DSN          string `json:"dsn"`
		PasswordEnv  string `json:"password_env"`
		PasswordFile string `json:"password_file"`
	}
	if err := yaml.Unmarshal(b, &conns); err != nil {
		t.Fatal(err)
	}
	return conns
}

// TestSecretsAreTheExamplesFiles follows every secret a worker reads to its file:
// each *_FILE variable and PGPASSFILE, the connections file's password_file, and
// each DSN's CA lie in a read-only mount of an object secrets.example.yaml shows,
// under a key it gives; the DSNs verify the server (verify-full); and the payload
// keys (MATIH_CODEC_KEYS) are the init container's 0400 copy of matih-codec-keys
// in a memory-backed emptyDir.
func TestSecretsAreTheExamplesFiles(t *testing.T) {
	ex := perEnvironment(t)
	for _, w := range workers {
		t.Run(w, func(t *testing.T) {
			_, d := renderBuild(t, w)
			pod := d.Spec.Template.Spec
			c := container(t, d)
			files := 0
			for _, e := range c.Env {
				if strings.HasSuffix(e.Name, "_FILE") || e.Name == "PGPASSFILE" {
					secretFile(t, ex, pod, c, e.Name, e.Value, "Secret")
					files++
				}
			}
			if files == 0 {
				t.Errorf("no *_FILE variable: where do the worker's secrets come from?")
			}
			if uri := envValue(c, "MATIH_CATALOG_URI"); strings.HasPrefix(uri, "postgres") {
				checkDSN(t, ex, pod, c, "MATIH_CATALOG_URI", uri)
				if envValue(c, "PGPASSFILE") == "" {
					t.Errorf("MATIH_CATALOG_URI is PostgreSQL, and no PGPASSFILE gives its password")
				}
			}
			if path := envValue(c, "MATIH_CONNECTIONS"); path != "" {
				if _, v, _, ok := mountOf(pod, c, path); !ok || v == nil || v.ConfigMap == nil || v.ConfigMap.Name != "worker-connections" {
					t.Errorf("MATIH_CONNECTIONS %q is not in the worker-connections ConfigMap's mount", path)
				}
				for name, conn := range connectionsFile(t, path) {
					if conn.Kind != "postgres" {
						continue
					}
					what := "connections.yaml " + name
					checkDSN(t, ex, pod, c, what+" dsn", conn.DSN)
					if conn.PasswordEnv != "" {
						t.Errorf("%s: password_env %s: name the Secret's file with password_file", what, conn.PasswordEnv)
					}
					if conn.PasswordFile != "" {
						secretFile(t, ex, pod, c, what+" password_file", conn.PasswordFile, "Secret")
					}
				}
			}
			checkCodecKeys(t, ex, pod, c)
		})
	}
}

func checkCodecKeys(t *testing.T, ex example, pod corev1.PodSpec, c corev1.Container) {
	t.Helper()
	keys := envValue(c, codec.EnvKeys)
	if keys == "" {
		t.Errorf("no %s: the worker would write payloads unencrypted", codec.EnvKeys)
		return
	}
	for _, path := range strings.Split(keys, ",") {
		m, v, _, ok := mountOf(pod, c, path)
		if !ok || v == nil || v.EmptyDir == nil || v.EmptyDir.Medium != corev1.StorageMediumMemory || !m.ReadOnly {
			t.Errorf("%s %q: want a read-only mount of a memory-backed emptyDir (the init container's copy), got %+v", codec.EnvKeys, path, m)
			continue
		}
		// The init container that writes the copy, from the Secret's file.
		copied := false
		for _, ic := range pod.InitContainers {
			wm, wv, _, ok := mountOf(pod, ic, path)
			if !ok || wv == nil || wv.Name != v.Name || wm.ReadOnly {
				continue
			}
			script := strings.Join(append(slices.Clone(ic.Command), ic.Args...), " ")
			for _, sm := range ic.VolumeMounts {
				sv := volumeByName(pod, sm.Name)
				if sv == nil || sv.Secret == nil || sv.Secret.SecretName != codecSecret {
					continue
				}
				src := sm.MountPath + "/" + filepath.Base(path)
				secretFile(t, ex, pod, ic, "codec key source", src, "Secret")
				if strings.Contains(script, src) && strings.Contains(script, "umask 077") && strings.Contains(script, "chmod 0400 "+path) {
					copied = true
				}
			}
		}
		if !copied {
			t.Errorf("%s %q: no init container copies it from Secret %s with umask 077 and chmod 0400", codec.EnvKeys, path, codecSecret)
		}
	}
}

// TestCodecKeyFileModes pins down why the pods copy the payload keys in an init
// container rather than reading the Secret's file: the kubelet lets a non-root
// pod read a Secret's (root's) files only through fsGroup, which makes them 0440,
// and the key ring refuses a file its group may read. If the ring ever accepts
// such a file, the copy can go.
func TestCodecKeyFileModes(t *testing.T) {
	line, err := codec.NewKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for mode, want := range map[os.FileMode]bool{0o400: true, 0o600: true, 0o440: false, 0o444: false} {
		p := filepath.Join(dir, fmt.Sprintf("keys-%o", mode))
		if err := os.WriteFile(p, []byte(line+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		if _, err := codec.LoadRing(p); (err == nil) != want {
			t.Errorf("a key file of mode %#o: LoadRing error %v, want accepted=%v", mode, err, want)
		}
	}
}

// testCA writes a self-signed CA certificate, PEM, to path.
func testCA(t *testing.T, path string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "check CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkVerifyFull checks what the PostgreSQL driver made of a DSN: TLS only, the
// certificate checked against the given CA and the host name.
func checkVerifyFull(t *testing.T, what string, cfg *pgconn.Config) {
	t.Helper()
	if cfg.TLSConfig == nil || len(cfg.Fallbacks) != 0 {
		t.Errorf("%s: the driver may connect without TLS", what)
		return
	}
	if cfg.TLSConfig.InsecureSkipVerify || cfg.TLSConfig.RootCAs == nil || cfg.TLSConfig.ServerName != cfg.Host {
		t.Errorf("%s: the driver does not check the certificate against the CA and host %q (server name %q)", what, cfg.Host, cfg.TLSConfig.ServerName)
	}
}

// TestDatabaseSettingsWorkWithTheirFiles reads the database settings with the
// workers' own code, the pods' paths moved into a temporary folder that holds the
// example's files: the connections file loads and its sales connection gets the
// password of its password_file and verify-full TLS; each catalog DSN passes the
// workers' check and gets its password from the example's .pgpass line
// (PGPASSFILE), so the line matches the DSN's host, port, database and user.
func TestDatabaseSettingsWorkWithTheirFiles(t *testing.T) {
	ex := perEnvironment(t)
	objs, err := DecodeFile(filepath.Join(k8sDir(t), "secrets.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	stringData := map[string]map[string]string{}
	for _, o := range objs {
		if s, ok := o.Value.(*corev1.Secret); ok {
			stringData[o.Name] = s.StringData
		}
	}
	if !slices.Contains(ex.configMaps, dbCAConfigMap) {
		t.Fatalf("secrets.example.yaml has no ConfigMap %s", dbCAConfigMap)
	}
	for _, w := range []string{"worker-pipeline", "worker-infra"} {
		t.Run(w, func(t *testing.T) {
			root := t.TempDir()
			testCA(t, filepath.Join(root, "db-ca", "ca.crt"))
			secrets := stringData[w+"-secrets"]
			if err := os.MkdirAll(filepath.Join(root, "secrets"), 0o700); err != nil {
				t.Fatal(err)
			}
			for k, v := range secrets {
				if err := os.WriteFile(filepath.Join(root, "secrets", k), []byte(v), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			local := strings.NewReplacer(dbCADir+"/", filepath.Join(root, "db-ca")+"/", secretsDir+"/", filepath.Join(root, "secrets")+"/")

			_, d := renderBuild(t, w)
			c := container(t, d)
			// The connections file, through the workers' loader.
			file := filepath.Base(envValue(c, "MATIH_CONNECTIONS"))
			b, err := os.ReadFile(filepath.Join(k8sDir(t), "files", file))
			if err != nil {
				t.Fatal(err)
			}
			conns := filepath.Join(root, "connections.yaml")
			if err := os.WriteFile(conns, []byte(local.Replace(string(b))), 0o600); err != nil {
				t.Fatal(err)
			}
			reg, err := connections.Load(conns)
			if err != nil {
				t.Fatalf("files/%s with the example's files: %v", file, err)
			}
			for _, name := range reg.Names() {
				conn, err := reg.Get("connection", name)
				if err != nil {
					t.Fatal(err)
				}
				if conn.Kind != connections.Postgres {
					continue
				}
				cfg, err := conn.PostgresConfig()
				if err != nil {
					t.Fatalf("connection %s: %v", name, err)
				}
				if want := strings.TrimSpace(secrets[filepath.Base(conn.PasswordFile)]); cfg.Password == "" || cfg.Password != want {
					t.Errorf("connection %s: password %q from %s, want the example's %q", name, cfg.Password, conn.PasswordFile, want)
				}
				checkVerifyFull(t, "connection "+name, &cfg.Config)
			}
			// The catalog DSN, with PGPASSFILE as the pod sets it.
			uri := envValue(c, "MATIH_CATALOG_URI")
			if err := contract.ValidateCatalogURI(uri); err != nil {
				t.Fatal(err)
			}
			pgpass := envValue(c, "PGPASSFILE")
			t.Setenv("PGPASSFILE", local.Replace(pgpass))
			cfg, err := pgconn.ParseConfig(local.Replace(uri))
			if err != nil {
				t.Fatalf("MATIH_CATALOG_URI: %v", err)
			}
			if cfg.Password != "change-me" {
				t.Errorf("MATIH_CATALOG_URI %s: password %q from %s, want the example's change-me: the .pgpass line must match the DSN's host:port:database:user", uri, cfg.Password, pgpass)
			}
			checkVerifyFull(t, "MATIH_CATALOG_URI", cfg)
		})
	}
}

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
