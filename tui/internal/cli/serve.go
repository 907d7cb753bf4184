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

	"github.com/matih/ops/shared/statusapi"
)

// serveCmd serves the read-only status API, for dashboards and the pipeline service.
func (a *App) serveCmd() *cobra.Command {
	var listen string
	cmd := &cobra.Command{Use: "serve", Short: "serve GET " + statusapi.Path + " (read-only HTTP API)", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, _, err := net.SplitHostPort(listen); err != nil {
				return usagef("--listen: expected host:port, got %q", listen)
			}
			src, err := a.Source(cmd.Context())
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("--listen %s: %w", listen, err)
			}
			srv := &http.Server{Handler: statusapi.Handler(src.Client), ReadHeaderTimeout: 5 * time.Second}
			fmt.Fprintf(a.Out, "serving http://%s%s\n", ln.Addr(), statusapi.Path)
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			go func() {
				<-ctx.Done()
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = srv.Shutdown(ctx)
			}()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		}}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8080", "address to listen on")
	return cmd
}
