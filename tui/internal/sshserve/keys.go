// Package sshserve serves the console and its scriptable twins over SSH, where the
// key is the person: the server looks the client's public key up in the operator's
// key files, and the key's comment (`ana@matih`) is the identity every action,
// approval and audit line carries. No client setting can change it.
package sshserve

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sync"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// Role is what a key may do.
type Role string

// A key in the operate file may act; one only in the read file may only look.
const (
	RoleRead    Role = "read"
	RoleOperate Role = "operate"
)

// Person is who a key belongs to, as the key files say.
type Person struct {
	Name        string // the key's comment: the identity in history and the audit
	Role        Role
	Fingerprint string // SHA256:..., for the audit
}

// nameRe keeps identities fit for history and the audit log, as token names are.
var nameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// Keys maps public keys to people, from two files in OpenSSH authorized_keys format.
// The files are read again when they change, so a key removed is refused on its
// next connection or command, without a restart.
type Keys struct {
	read, operate string

	mu     sync.Mutex
	stamps [2]stamp
	people map[string]Person // by fingerprint
	err    error             // the last reload's, when a file became unreadable
}

type stamp struct {
	mod  time.Time
	size int64
}

// LoadKeys reads the key files; either may be empty (no such role). A line that is
// not a key with an identity comment is an error naming the file and line.
func LoadKeys(read, operate string) (*Keys, error) {
	if read == "" && operate == "" {
		return nil, errors.New("--read-keys or --operate-keys: at least one key file is needed to serve SSH")
	}
	k := &Keys{read: read, operate: operate}
	if err := k.reload(); err != nil {
		return nil, err
	}
	return k, nil
}

// Lookup finds the person a key belongs to. After a file changed it is read again
// first; a file that no longer reads refuses every key until it is fixed.
func (k *Keys) Lookup(key gossh.PublicKey) (Person, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.changed() {
		if err := k.reloadLocked(); err != nil {
			k.err, k.people = err, nil
		}
	}
	p, ok := k.people[gossh.FingerprintSHA256(key)]
	return p, ok
}

// Err is why keys are refused after a reload failed, nil otherwise.
func (k *Keys) Err() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.err
}

func (k *Keys) reload() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.reloadLocked()
}

func (k *Keys) changed() bool {
	for i, path := range []string{k.read, k.operate} {
		if path == "" {
			continue
		}
		info, err := os.Stat(path)
		if err != nil || info.ModTime() != k.stamps[i].mod || info.Size() != k.stamps[i].size {
			return true
		}
	}
	return false
}

func (k *Keys) reloadLocked() error {
	people := map[string]Person{}
	for i, f := range []struct {
		path string
		role Role
	}{{k.read, RoleRead}, {k.operate, RoleOperate}} {
		if f.path == "" {
			continue
		}
		info, err := os.Stat(f.path)
		if err != nil {
			return fmt.Errorf("--%s-keys: %w", f.role, err)
		}
		raw, err := os.ReadFile(f.path)
		if err != nil {
			return fmt.Errorf("--%s-keys: %w", f.role, err)
		}
		if err := parseKeys(f.path, raw, f.role, people); err != nil {
			return err
		}
		k.stamps[i] = stamp{mod: info.ModTime(), size: info.Size()}
	}
	k.people, k.err = people, nil
	return nil
}

// parseKeys adds the keys of one authorized_keys file; operate wins over read for
// a key in both files.
func parseKeys(path string, raw []byte, role Role, into map[string]Person) error {
	for n, line := range bytes.Split(raw, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		key, comment, options, _, err := gossh.ParseAuthorizedKey(line)
		switch {
		case err != nil:
			return fmt.Errorf("%s line %d: not an authorized_keys line: %v", path, n+1, err)
		case len(options) > 0:
			return fmt.Errorf("%s line %d: options (%s) are not supported: one key and its owner's identity per line", path, n+1, options[0])
		case !nameRe.MatchString(comment):
			return fmt.Errorf("%s line %d: the comment is the person's identity: expected 1 to 64 letters, digits, '.', '_', '@' or '-', got %q", path, n+1, comment)
		}
		fp := gossh.FingerprintSHA256(key)
		if have, ok := into[fp]; ok && have.Role == RoleOperate {
			continue
		}
		into[fp] = Person{Name: comment, Role: role, Fingerprint: fp}
	}
	return nil
}
