// Package clusterauth issues the bearer tokens the Temporal server's own JWT claim
// mapper and default authorizer check, and publishes the key set the server trusts.
//
// A key folder holds ECDSA P-256 signing keys, one PEM file each (0600). The newest
// file signs; the key set lists every key, so rotating is: add a key, reissue tokens,
// and remove the old file once the tokens it signed have expired.
//
// The stock authorizer knows three levels per namespace (read, write, admin). Polling
// a task queue needs write, so a worker credential is a write credential: the server
// cannot stop it from starting or signalling a workflow. The roles here are named
// for who holds them, and Permissions says what each becomes on the server.
package clusterauth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// The roles a token can carry.
const (
	RoleWorker = "worker" // polls and completes tasks of its namespace
	RoleReader = "reader" // lists and reads: the read-only console
	RoleWriter = "writer" // acts on workflows: the operator, matih serve
	RoleAdmin  = "admin"  // the whole cluster: namespace and search attribute setup
)

// Roles lists the roles in the order --help shows them.
var Roles = []string{RoleWorker, RoleReader, RoleWriter, RoleAdmin}

// PermissionsClaim is the claim the server's default claim mapper reads.
const PermissionsClaim = "permissions"

// systemNamespace is the name the claim mapper reads as "every namespace".
const systemNamespace = "temporal-system"

// Permissions is what a role becomes in the token: "namespace:level" strings, as
// the server's default claim mapper expects.
func Permissions(role, namespace string) ([]string, error) {
	if namespace == "" || strings.Contains(namespace, ":") {
		return nil, fmt.Errorf("namespace: expected a namespace name without ':', got %q", namespace)
	}
	switch role {
	case RoleWorker, RoleWriter:
		return []string{namespace + ":write"}, nil
	case RoleReader:
		return []string{namespace + ":read"}, nil
	case RoleAdmin:
		return []string{systemNamespace + ":admin"}, nil
	}
	return nil, fmt.Errorf("role: expected one of %s, got %q", strings.Join(Roles, ", "), role)
}

// Token is what one issued token says.
type Token struct {
	Subject   string
	Role      string
	Namespace string
	TTL       time.Duration
}

// MaxTTL bounds a token's life: a leaked token stops working within it.
const MaxTTL = 90 * 24 * time.Hour

// Issuer is the value of every token's iss claim.
const Issuer = "matih"

// KeyDir is a folder of signing keys.
type KeyDir string

// keyFiles lists the folder's key files, oldest first (names sort by creation time).
func (d KeyDir) keyFiles() ([]string, error) {
	files, err := filepath.Glob(filepath.Join(string(d), "signing-*.pem"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("keys: %s holds no signing-*.pem key; create one with `matih auth new-key --dir %s`", d, d)
	}
	slices.Sort(files)
	return files, nil
}

// NewKey writes a fresh signing key into the folder (created 0700) and returns its
// key id. It becomes the signing key: its name sorts last.
func (d KeyDir) NewKey(now time.Time) (string, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(string(d), 0o700); err != nil {
		return "", err
	}
	kid := keyID(&priv.PublicKey)
	name := filepath.Join(string(d), fmt.Sprintf("signing-%s-%s.pem", now.UTC().Format("20060102T150405.000000000Z"), kid))
	f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", err
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		f.Close()
		os.Remove(name)
		return "", err
	}
	return kid, f.Close()
}

// keyID names a public key by its SHA-256, so the same key always has the same id.
func keyID(pub *ecdsa.PublicKey) string {
	der, _ := x509.MarshalPKIXPublicKey(pub)
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:8])
}

func loadKey(path string) (*ecdsa.PrivateKey, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("keys: %s is readable by others (mode %o): chmod 600 it", path, info.Mode().Perm())
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(raw)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("keys: %s: expected a PEM \"PRIVATE KEY\" block", path)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("keys: %s: %w", path, err)
	}
	ec, ok := key.(*ecdsa.PrivateKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, fmt.Errorf("keys: %s: expected an ECDSA P-256 key", path)
	}
	return ec, nil
}

// KeySet is the JSON Web Key Set of every key in the folder: what the server's
// jwtKeyProvider.keySourceURIs must serve.
func (d KeyDir) KeySet() ([]byte, error) {
	files, err := d.keyFiles()
	if err != nil {
		return nil, err
	}
	var set jose.JSONWebKeySet
	for _, f := range files {
		key, err := loadKey(f)
		if err != nil {
			return nil, err
		}
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &key.PublicKey, KeyID: keyID(&key.PublicKey), Algorithm: string(jose.ES256), Use: "sig"})
	}
	return json.Marshal(set)
}

// Issue signs a token with the folder's newest key.
func (d KeyDir) Issue(t Token, now time.Time) (string, error) {
	if strings.TrimSpace(t.Subject) == "" {
		return "", errors.New("sub: the token's subject (who holds it) is required")
	}
	if t.TTL <= 0 || t.TTL > MaxTTL {
		return "", fmt.Errorf("ttl: expected a duration above 0 and at most %s, got %s", MaxTTL, t.TTL)
	}
	perms, err := Permissions(t.Role, t.Namespace)
	if err != nil {
		return "", err
	}
	files, err := d.keyFiles()
	if err != nil {
		return "", err
	}
	key, err := loadKey(files[len(files)-1])
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: keyID(&key.PublicKey)}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	std := jwt.Claims{Issuer: Issuer, Subject: t.Subject, IssuedAt: jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now.Add(-time.Minute)), Expiry: jwt.NewNumericDate(now.Add(t.TTL))}
	return jwt.Signed(signer).Claims(std).Claims(map[string]any{PermissionsClaim: perms, "role": t.Role}).Serialize()
}

// KeySetHandler serves the folder's key set, read on every request, so a key added
// to the folder is published at the server's next refresh without a restart.
func (d KeyDir) KeySetHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "expected GET", http.StatusMethodNotAllowed)
			return
		}
		set, err := d.KeySet()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(set)
	})
}
