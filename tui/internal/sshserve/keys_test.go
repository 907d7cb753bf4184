package sshserve

import (
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	gossh "golang.org/x/crypto/ssh"
)

func newKey(t *testing.T) gossh.PublicKey {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	k, err := gossh.NewPublicKey(pub)
	require.NoError(t, err)
	return k
}

func line(k gossh.PublicKey, comment string) string {
	return strings.TrimSpace(string(gossh.MarshalAuthorizedKey(k))) + " " + comment
}

func write(t *testing.T, path string, lines ...string) {
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600))
}

func TestAKeyIsItsOwnersIdentityAndRole(t *testing.T) {
	dir := t.TempDir()
	ana, bo, both, stranger := newKey(t), newKey(t), newKey(t), newKey(t)
	read, operate := filepath.Join(dir, "read"), filepath.Join(dir, "operate")
	write(t, read, "# people who look", line(bo, "bo@matih"), line(both, "cy@matih"))
	write(t, operate, line(ana, "ana@matih"), line(both, "cy@matih"))
	keys, err := LoadKeys(read, operate)
	require.NoError(t, err)

	p, ok := keys.Lookup(ana)
	require.True(t, ok)
	assert.Equal(t, Person{Name: "ana@matih", Role: RoleOperate, Fingerprint: gossh.FingerprintSHA256(ana)}, p)
	p, ok = keys.Lookup(bo)
	require.True(t, ok)
	assert.Equal(t, RoleRead, p.Role)
	p, _ = keys.Lookup(both)
	assert.Equal(t, RoleOperate, p.Role, "a key in both files may act")
	_, ok = keys.Lookup(stranger)
	assert.False(t, ok, "an unknown key is refused")
}

func TestARemovedKeyIsRefusedWithoutARestart(t *testing.T) {
	dir := t.TempDir()
	ana, bo := newKey(t), newKey(t)
	operate := filepath.Join(dir, "operate")
	write(t, operate, line(ana, "ana@matih"), line(bo, "bo@matih"))
	keys, err := LoadKeys("", operate)
	require.NoError(t, err)
	_, ok := keys.Lookup(bo)
	require.True(t, ok)

	write(t, operate, line(ana, "ana@matih"))
	later := time.Now().Add(time.Second)
	require.NoError(t, os.Chtimes(operate, later, later))
	_, ok = keys.Lookup(bo)
	assert.False(t, ok, "revoked")
	_, ok = keys.Lookup(ana)
	assert.True(t, ok)

	write(t, operate, "not a key")
	later = later.Add(time.Second)
	require.NoError(t, os.Chtimes(operate, later, later))
	_, ok = keys.Lookup(ana)
	assert.False(t, ok, "a file that no longer reads refuses every key")
	assert.ErrorContains(t, keys.Err(), "line 1")
}

func TestKeyFilesAreCheckedLineByLine(t *testing.T) {
	dir := t.TempDir()
	k := newKey(t)
	cases := map[string]string{
		"the comment is the person's identity": strings.TrimSpace(string(gossh.MarshalAuthorizedKey(k))),
		"options":                              `command="ls" ` + line(k, "ana@matih"),
		"not an authorized_keys line":          "ssh-ed25519 AAAA ana@matih",
	}
	for want, body := range cases {
		path := filepath.Join(dir, "keys")
		write(t, path, body)
		_, err := LoadKeys(path, "")
		assert.ErrorContains(t, err, want)
	}
	_, err := LoadKeys("", "")
	assert.ErrorContains(t, err, "at least one key file")
	_, err = LoadKeys(filepath.Join(dir, "missing"), "")
	assert.ErrorContains(t, err, "--read-keys")
}
