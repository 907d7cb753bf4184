package cli

import (
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/matih/ops/shared/connections"
)

// EnvConnections is the environment variable the workers read their connections
// file from; the console takes the same file to check names before a start.
const EnvConnections = "MATIH_CONNECTIONS"

// connectionsFlag binds --connections on start and serve.
func connectionsFlag(fl *pflag.FlagSet, path *string) {
	fl.StringVar(path, "connections", os.Getenv(EnvConnections),
		"the workers' connections file: a config naming a connection it lacks is refused before anything starts; "+
			"without it the worker refuses the name at the run's first step (env "+EnvConnections+")")
}

// loadConnections reads --connections for its names only; "" is no check. A
// relative path is the working directory's, as for -f.
func loadConnections(path string) (*connections.Registry, error) {
	if path == "" {
		return nil, nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, usagef("--connections: %v", err)
	}
	reg, err := connections.Load(abs)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return reg, nil
}
