package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/matih/ops/shared/clusterauth"
	"github.com/matih/ops/shared/contract"
)

// envAuthDir names the signing key folder when --dir is not given.
const envAuthDir = "MATIH_AUTH_DIR"

// authCmd issues the Temporal server's bearer tokens and publishes the key set it
// trusts (see shared/clusterauth for the roles and what the server can enforce).
func (a *App) authCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "auth", Short: "the Temporal server's tokens: new-key, keys, token, serve-keys", Args: noArgs,
		Long: "The server's JWT claim mapper and default authorizer check the tokens issued here.\n" +
			"Roles: worker and writer get namespace write, reader gets read, admin gets the whole cluster.\n" +
			"The stock authorizer needs write to poll, so it cannot keep a worker token from starting\n" +
			"or signalling a workflow: keep worker tokens with the workers."}
	var dir string
	cmd.PersistentFlags().StringVar(&dir, "dir", "", "the signing key folder (env "+envAuthDir+")")
	keyDir := func() (clusterauth.KeyDir, error) {
		if dir == "" {
			dir = os.Getenv(envAuthDir)
		}
		if dir == "" {
			return "", usagef("--dir: the signing key folder is required (or set %s)", envAuthDir)
		}
		return clusterauth.KeyDir(dir), nil
	}
	newKey := &cobra.Command{Use: "new-key", Short: "add a signing key (0600), which signs every token issued from now on", Args: noArgs,
		RunE: func(*cobra.Command, []string) error {
			d, err := keyDir()
			if err != nil {
				return err
			}
			kid, err := d.NewKey(time.Now())
			if err != nil {
				return err
			}
			fmt.Fprintln(a.Out, kid)
			fmt.Fprintf(a.Err, "added signing key %s to %s; the server trusts it at its next key refresh\n", kid, d)
			return nil
		}}
	keys := &cobra.Command{Use: "keys", Short: "print the key set (JWKS) the server's keySourceURIs must serve", Args: noArgs,
		RunE: func(*cobra.Command, []string) error {
			d, err := keyDir()
			if err != nil {
				return err
			}
			set, err := d.KeySet()
			if err != nil {
				return usageError{err}
			}
			fmt.Fprintln(a.Out, string(set))
			return nil
		}}
	cmd.AddCommand(newKey, keys, a.authTokenCmd(keyDir), a.authServeKeysCmd(keyDir))
	return cmd
}

func (a *App) authTokenCmd(keyDir func() (clusterauth.KeyDir, error)) *cobra.Command {
	var tok clusterauth.Token
	c := &cobra.Command{Use: "token --role ROLE --sub NAME", Short: "print a signed token for TEMPORAL_API_KEY", Args: noArgs,
		RunE: func(*cobra.Command, []string) error {
			d, err := keyDir()
			if err != nil {
				return err
			}
			s, err := d.Issue(tok, time.Now())
			if err != nil {
				return usageError{err}
			}
			fmt.Fprintln(a.Out, s)
			return nil
		}}
	fl := c.Flags()
	fl.StringVar(&tok.Role, "role", "", "worker, reader, writer or admin")
	fl.StringVar(&tok.Subject, "sub", "", "who holds the token (a person or a worker deployment)")
	fl.StringVar(&tok.Namespace, "token-namespace", contract.DefaultNamespace, "the namespace the role applies to")
	fl.DurationVar(&tok.TTL, "ttl", 24*time.Hour, "how long the token is valid (at most 90 days)")
	return c
}

func (a *App) authServeKeysCmd(keyDir func() (clusterauth.KeyDir, error)) *cobra.Command {
	var listen string
	c := &cobra.Command{Use: "serve-keys", Short: "serve the key set over HTTP for the server's jwtKeyProvider", Args: noArgs,
		Long: "Serves GET /.well-known/jwks.json, read from the folder on every request. The key set is\n" +
			"public, but bind it where only the Temporal server reaches it.",
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := keyDir()
			if err != nil {
				return err
			}
			if _, err := d.KeySet(); err != nil {
				return usageError{err}
			}
			mux := http.NewServeMux()
			mux.Handle("/.well-known/jwks.json", d.KeySetHandler())
			l, err := net.Listen("tcp", listen)
			if err != nil {
				return usagef("--listen: %v", err)
			}
			fmt.Fprintf(a.Err, "serving the key set of %s on http://%s/.well-known/jwks.json\n", d, l.Addr())
			srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			go func() {
				<-ctx.Done()
				sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				srv.Shutdown(sctx)
			}()
			if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		}}
	c.Flags().StringVar(&listen, "listen", "127.0.0.1:7380", "host:port to serve on")
	return c
}
