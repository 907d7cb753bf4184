// Where each secret a worker reads comes from: every file a setting names lies in a
// read-only mount of an object secrets.example.yaml shows, and the database settings
// work with those files as the workers read them.

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
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/matih/ops/shared/codec"
	"github.com/matih/ops/shared/connections"
	"github.com/matih/ops/shared/contract"
)

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
