// Package temporalclient dials Temporal the way the Temporal CLI does: the CLI's
// profile file and TEMPORAL_* environment first, flags on top, then clear errors when
// the server or namespace is not there.
package temporalclient

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/matih/ops/shared/codec"
	"go.temporal.io/sdk/converter"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"

	"github.com/matih/ops/shared/contract"
)

// Config holds what flags may override. Empty fields keep the profile/env value.
type Config struct {
	Address       string
	Namespace     string
	APIKey        string
	TLS           bool
	TLSCertPath   string
	TLSKeyPath    string
	TLSCAPath     string
	TLSServerName string
	Profile       string
	ConfigFile    string
	// CodecKeys names the payload encryption key files (see shared/codec); empty
	// means MATIH_CODEC_KEYS, and neither means payloads are not encrypted.
	CodecKeys string
}

// RegisterFlags binds the connection flags, named as the Temporal CLI names them.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Address, "address", "", "Temporal frontend host:port (env TEMPORAL_ADDRESS, default "+contract.DefaultAddress+")")
	fs.StringVar(&c.Namespace, "namespace", "", "Temporal namespace (env TEMPORAL_NAMESPACE, default "+contract.DefaultNamespace+")")
	fs.StringVar(&c.APIKey, "api-key", "", "API key (env TEMPORAL_API_KEY, or a file named by TEMPORAL_API_KEY_FILE); prefer the env so it stays out of ps")
	fs.BoolVar(&c.TLS, "tls", false, "use TLS (env TEMPORAL_TLS)")
	fs.StringVar(&c.TLSCertPath, "tls-cert-path", "", "client certificate for mTLS (env TEMPORAL_TLS_CLIENT_CERT_PATH)")
	fs.StringVar(&c.TLSKeyPath, "tls-key-path", "", "client key for mTLS (env TEMPORAL_TLS_CLIENT_KEY_PATH)")
	fs.StringVar(&c.TLSCAPath, "tls-ca-path", "", "server CA certificate (env TEMPORAL_TLS_SERVER_CA_CERT_PATH)")
	fs.StringVar(&c.TLSServerName, "tls-server-name", "", "TLS server name override (env TEMPORAL_TLS_SERVER_NAME)")
	fs.StringVar(&c.Profile, "profile", "", "profile in the Temporal CLI config file (env TEMPORAL_PROFILE)")
	fs.StringVar(&c.ConfigFile, "config-file", "", "Temporal CLI config file (env TEMPORAL_CONFIG_FILE, default ~/.config/temporalio/temporal.toml)")
	fs.StringVar(&c.CodecKeys, "codec-keys", "", "payload encryption key files, comma-separated; the last key encrypts, every key decrypts (env "+codec.EnvKeys+")")
}

// DataConverter is the converter every payload goes through: JSON, encrypted with
// the codec keys when they are configured.
func (c Config) DataConverter() (converter.DataConverter, error) {
	ring, err := c.CodecRing()
	if err != nil {
		return nil, err
	}
	return codec.DataConverter(ring), nil
}

// CodecRing loads the codec keys; nil when none are configured.
func (c Config) CodecRing() (*codec.Ring, error) {
	paths := c.CodecKeys
	if paths == "" {
		paths = os.Getenv(codec.EnvKeys)
	}
	if strings.TrimSpace(paths) == "" {
		return nil, nil
	}
	return codec.LoadRing(paths)
}

// Profile loads the CLI profile and TEMPORAL_* env, then applies the flags and our
// defaults. The result says where every value came from only implicitly: flags win.
func (c Config) LoadProfile() (envconfig.ClientConfigProfile, error) {
	prof, err := envconfig.LoadClientConfigProfile(envconfig.LoadClientConfigProfileOptions{
		ConfigFilePath:    c.ConfigFile,
		ConfigFileProfile: c.Profile,
	})
	if err != nil {
		return prof, fmt.Errorf("temporal client config: %w", err)
	}
	if c.Address != "" {
		prof.Address = c.Address
	}
	if c.Namespace != "" {
		prof.Namespace = c.Namespace
	}
	if c.APIKey != "" {
		prof.APIKey = c.APIKey
	}
	if prof.APIKey == "" {
		key, err := apiKeyFile()
		if err != nil {
			return prof, err
		}
		prof.APIKey = key
	}
	if c.TLS || c.TLSCertPath != "" || c.TLSKeyPath != "" || c.TLSCAPath != "" || c.TLSServerName != "" {
		if prof.TLS == nil {
			prof.TLS = &envconfig.ClientConfigTLS{}
		}
		prof.TLS.Disabled = false
		setIf(&prof.TLS.ClientCertPath, c.TLSCertPath)
		setIf(&prof.TLS.ClientKeyPath, c.TLSKeyPath)
		setIf(&prof.TLS.ServerCACertPath, c.TLSCAPath)
		setIf(&prof.TLS.ServerName, c.TLSServerName)
	}
	if prof.Address == "" {
		prof.Address = contract.DefaultAddress
	}
	if prof.Namespace == "" {
		prof.Namespace = contract.DefaultNamespace
	}
	if err := checkAddress(prof.Address); err != nil {
		return prof, err
	}
	if prof.TLS != nil {
		for name, path := range map[string]string{
			"tls-cert-path": prof.TLS.ClientCertPath, "tls-key-path": prof.TLS.ClientKeyPath, "tls-ca-path": prof.TLS.ServerCACertPath,
		} {
			if path == "" {
				continue
			}
			if _, err := os.Stat(path); err != nil {
				return prof, fmt.Errorf("--%s: cannot read %s: %w", name, path, err)
			}
		}
	}
	return prof, nil
}

// ClientOptions turns the loaded profile into SDK client options.
func (c Config) ClientOptions() (client.Options, error) {
	prof, err := c.LoadProfile()
	if err != nil {
		return client.Options{}, err
	}
	opts, err := prof.ToClientOptions(envconfig.ToClientOptionsRequest{})
	if err != nil {
		return client.Options{}, fmt.Errorf("temporal client config: %w", err)
	}
	if opts.DataConverter, err = c.DataConverter(); err != nil {
		return client.Options{}, err
	}
	return opts, nil
}

// EnvAPIKeyFile names a file holding the API key, so a token mounted from a Secret
// never has to sit in the environment.
const EnvAPIKeyFile = "TEMPORAL_API_KEY_FILE"

func apiKeyFile() (string, error) {
	path := os.Getenv(EnvAPIKeyFile)
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", EnvAPIKeyFile, err)
	}
	key := strings.TrimSpace(string(b))
	if key == "" || strings.ContainsAny(key, " \n\r\t") {
		return "", fmt.Errorf("%s: %s must hold one token on one line", EnvAPIKeyFile, path)
	}
	return key, nil
}

func setIf(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

func checkAddress(addr string) error {
	host, port, ok := strings.Cut(addr, ":")
	if !ok || host == "" || port == "" || strings.ContainsAny(port, ":/") {
		return fmt.Errorf("address: expected host:port, got %q", addr)
	}
	for _, r := range port {
		if r < '0' || r > '9' {
			return fmt.Errorf("address: expected a numeric port in host:port, got %q", addr)
		}
	}
	return nil
}
