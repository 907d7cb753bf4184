package api

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Role is a named set of scopes (see roleScopes), as earlier tokens files give.
type Role string

// Roles: read may only GET; operate may also execute, signal and start.
const (
	RoleNone    Role = ""
	RoleRead    Role = "read"
	RoleOperate Role = "operate"
)

// Token is one entry of the tokens file. Only the SHA-256 of the bearer token is
// stored, so the file is no secret worth stealing.
type Token struct {
	Name   string  `yaml:"name"`
	Role   Role    `yaml:"role,omitempty"`
	Scopes []Scope `yaml:"scopes,omitempty"`
	SHA256 string  `yaml:"sha256"`

	digest []byte
	scopes map[Scope]bool
}

// Tokens is the parsed tokens file.
type Tokens struct {
	list []Token
}

type tokensFile struct {
	Tokens []Token `yaml:"tokens"`
}

// tokenNameRe keeps names fit to be an identity in history and the audit log.
var tokenNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// LoadTokens reads and checks a tokens file.
func LoadTokens(path string) (*Tokens, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseTokens(raw)
}

// ParseTokens checks every entry: a name fit to be an identity, a known role, a
// 64-hex-digit digest, no name or digest twice.
func ParseTokens(raw []byte) (*Tokens, error) {
	var f tokensFile
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("tokens file: %w", err)
	}
	if len(f.Tokens) == 0 {
		return nil, fmt.Errorf("tokens file: no tokens: expected tokens: [{name, role, sha256}]")
	}
	names, digests := map[string]bool{}, map[string]bool{}
	for i, t := range f.Tokens {
		at := fmt.Sprintf("tokens file: tokens[%d]", i)
		if !tokenNameRe.MatchString(t.Name) {
			return nil, fmt.Errorf("%s.name: expected 1-64 letters, digits, '.', '_', '@' or '-', got %q", at, t.Name)
		}
		granted, err := scopesOf(at, t.Role, t.Scopes)
		if err != nil {
			return nil, err
		}
		f.Tokens[i].scopes = granted
		d, err := hex.DecodeString(strings.ToLower(t.SHA256))
		if err != nil || len(d) != sha256.Size {
			return nil, fmt.Errorf("%s.sha256: expected 64 hex digits (sha256sum of the token), got %d characters", at, len(t.SHA256))
		}
		if names[t.Name] || digests[string(d)] {
			return nil, fmt.Errorf("%s: name %q or its digest appears twice", at, t.Name)
		}
		names[t.Name], digests[string(d)] = true, true
		f.Tokens[i].digest = d
	}
	return &Tokens{list: f.Tokens}, nil
}

// Digest is the hex SHA-256 of a bearer token, as the tokens file holds it.
func Digest(token string) string {
	d := sha256.Sum256([]byte(token))
	return hex.EncodeToString(d[:])
}

// lookup finds the token a request presents. Every entry is compared, in constant
// time, so timing tells nothing about which digest came close.
func (ts *Tokens) lookup(bearer string) (Token, bool) {
	d := sha256.Sum256([]byte(bearer))
	var found Token
	ok := 0
	for _, t := range ts.list {
		if subtle.ConstantTimeCompare(d[:], t.digest) == 1 {
			found, ok = t, 1
		}
	}
	return found, ok == 1
}

// Caller is who a request comes from, and the scopes its token grants.
type Caller struct {
	Name   string
	scopes map[Scope]bool
}

// anonymous is the caller of a server without tokens: read-only, by design.
var anonymous = Caller{Name: "anonymous", scopes: map[Scope]bool{ScopeRead: true}}

// authenticate finds the caller: without tokens, everyone is anonymous and reads;
// with tokens, a request needs a known bearer token (401 otherwise).
func (ts *Tokens) authenticate(r *http.Request) (Caller, error) {
	if ts == nil {
		return anonymous, nil
	}
	h := r.Header.Get("Authorization")
	scheme, bearer, found := strings.Cut(h, " ")
	if h == "" {
		return Caller{}, fail(http.StatusUnauthorized, CodeUnauthorized, "missing Authorization: Bearer <token>")
	}
	if !found || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(bearer) == "" {
		return Caller{}, fail(http.StatusUnauthorized, CodeUnauthorized, "expected Authorization: Bearer <token>")
	}
	t, ok := ts.lookup(strings.TrimSpace(bearer))
	if !ok {
		return Caller{}, fail(http.StatusUnauthorized, CodeUnauthorized, "unknown token")
	}
	return Caller{Name: t.Name, scopes: t.scopes}, nil
}
