// Package codec encrypts every payload a MATIH client or worker writes to Temporal
// (workflow inputs and results, activity inputs and results, signals, updates,
// queries, heartbeats) with AES-256-GCM, so that history, the Web UI and anyone
// with namespace read access see no row data. Search attributes are not payloads
// and stay readable: lists and counts query them.
//
// Keys rotate: a key ring holds every key still needed to read history, and the
// newest encrypts. Each encrypted payload names its key id in its metadata, so a
// payload written under a key that is no longer listed fails with that id.
package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

// Metadata of an encrypted payload.
const (
	// Encoding marks a payload this codec encrypted; its data is nonce || sealed proto.
	Encoding = "binary/encrypted"
	// MetadataKeyID names the key that encrypted it.
	MetadataKeyID = "encryption-key-id"
	// EnvKeys names the key files (comma-separated) when --codec-keys is not given.
	EnvKeys = "MATIH_CODEC_KEYS"
)

var keyIDRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Key is one AES-256 key and its id.
type Key struct {
	ID     string
	Secret []byte // 32 bytes
}

// Ring is the keys a process may decrypt with; the last one encrypts.
type Ring struct {
	keys  map[string]cipher.AEAD
	ids   []string // in file order
	newer string   // the encrypting key
}

// NewRing builds a ring from keys, the last of which encrypts. Ids must be unique.
func NewRing(keys ...Key) (*Ring, error) {
	if len(keys) == 0 {
		return nil, errors.New("codec keys: no key given: expected at least one line `ID BASE64-32-BYTES`")
	}
	r := &Ring{keys: map[string]cipher.AEAD{}}
	for _, k := range keys {
		if !keyIDRe.MatchString(k.ID) {
			return nil, fmt.Errorf("codec keys: key id %q: expected 1 to 64 letters, digits, '.', '_' or '-'", k.ID)
		}
		if _, dup := r.keys[k.ID]; dup {
			return nil, fmt.Errorf("codec keys: key id %q is listed twice", k.ID)
		}
		if len(k.Secret) != 32 {
			return nil, fmt.Errorf("codec keys: key %q: expected 32 bytes (AES-256), got %d", k.ID, len(k.Secret))
		}
		block, err := aes.NewCipher(k.Secret)
		if err != nil {
			return nil, fmt.Errorf("codec keys: key %q: %w", k.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("codec keys: key %q: %w", k.ID, err)
		}
		r.keys[k.ID] = aead
		r.ids = append(r.ids, k.ID)
	}
	r.newer = keys[len(keys)-1].ID
	return r, nil
}

// LoadRing reads the key files named in paths (comma-separated). Each line of a file
// is `ID BASE64-KEY` (blank lines and lines starting with # are skipped); the last
// key of the last file encrypts. Files must not be readable by others.
func LoadRing(paths string) (*Ring, error) {
	var keys []Key
	for _, path := range strings.Split(paths, ",") {
		path = strings.TrimSpace(path)
		if path == "" {
			continue
		}
		ks, err := readKeyFile(path)
		if err != nil {
			return nil, err
		}
		keys = append(keys, ks...)
	}
	return NewRing(keys...)
}

func readKeyFile(path string) ([]Key, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("--codec-keys: %w", err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("--codec-keys: %s is readable by others (mode %v): expected 0600 or 0400", path, info.Mode().Perm())
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--codec-keys: %w", err)
	}
	var keys []Key
	for n, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, b64, ok := strings.Cut(line, " ")
		secret, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
		if !ok || err != nil {
			return nil, fmt.Errorf("--codec-keys: %s line %d: expected `ID BASE64-32-BYTES` (as `matih codec new-key` writes)", path, n+1)
		}
		keys = append(keys, Key{ID: id, Secret: secret})
	}
	return keys, nil
}

// NewKey makes a random key with the given id, as a key file line.
func NewKey(id string) (string, error) {
	if !keyIDRe.MatchString(id) {
		return "", fmt.Errorf("key id %q: expected 1 to 64 letters, digits, '.', '_' or '-'", id)
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return "", err
	}
	return id + " " + base64.StdEncoding.EncodeToString(secret), nil
}

// KeyIDs lists the ring's key ids, the encrypting one last.
func (r *Ring) KeyIDs() []string { return append([]string(nil), r.ids...) }

// Encode encrypts each payload with the newest key.
func (r *Ring) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	aead := r.keys[r.newer]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("codec: encode payload: %w", err)
		}
		nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return nil, err
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{converter.MetadataEncoding: []byte(Encoding), MetadataKeyID: []byte(r.newer)},
			Data:     aead.Seal(nonce, nonce, plain, []byte(r.newer)),
		}
	}
	return out, nil
}

// Decode decrypts each encrypted payload; others (written before encryption was
// on) pass through unchanged.
func (r *Ring) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != Encoding {
			out[i] = p
			continue
		}
		id := string(p.GetMetadata()[MetadataKeyID])
		aead, ok := r.keys[id]
		if !ok {
			return nil, fmt.Errorf("codec: payload encrypted with key %q, which is not among the configured keys (%s): add it to --codec-keys", id, strings.Join(r.ids, ", "))
		}
		if len(p.Data) < aead.NonceSize() {
			return nil, fmt.Errorf("codec: payload under key %q is truncated", id)
		}
		plain, err := aead.Open(nil, p.Data[:aead.NonceSize()], p.Data[aead.NonceSize():], []byte(id))
		if err != nil {
			return nil, fmt.Errorf("codec: payload under key %q does not decrypt (altered, or another key with that id)", id)
		}
		var dec commonpb.Payload
		if err := proto.Unmarshal(plain, &dec); err != nil {
			return nil, fmt.Errorf("codec: payload under key %q: %w", id, err)
		}
		out[i] = &dec
	}
	return out, nil
}

// DataConverter is the default JSON converter with the ring's encryption around it;
// with a nil ring, the default converter as it is.
func DataConverter(r *Ring) converter.DataConverter {
	if r == nil {
		return converter.GetDefaultDataConverter()
	}
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), r)
}
