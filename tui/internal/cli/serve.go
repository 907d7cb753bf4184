package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/matih/ops/tui/internal/api"
	"github.com/matih/ops/tui/internal/audit"
	"github.com/matih/ops/tui/internal/present"
)

// HTTP server limits: a slow or idle client cannot hold a connection for long.
// The write timeout is above the API's own 20 s request bound.
const (
	serveReadHeaderTimeout = 5 * time.Second
	serveReadTimeout       = 30 * time.Second
	serveWriteTimeout      = 40 * time.Second
	serveIdleTimeout       = 2 * time.Minute
	serveShutdownTimeout   = 25 * time.Second
)

type serveFlags struct {
	listen, tokens, pipelines, tlsCert, tlsKey, connections string
	codecOrigin                                             string
	ssh                                                     sshFlags
	insecureHTTP                                            bool
	ratePerSecond                                           float64
	burst                                                   int
	slack                                                   slackFlags
}

const serveLong = `Serve the Pipeline Service HTTP API (JSON, under /v1):

  POST /v1/pipelines/{pipelineId}/execute            start a pipeline of --pipelines (202)
  POST /v1/pipelines/workflows/{workflowId}/signal   {"name":"approval"|"cancel","data":{...}}
  GET  /v1/pipelines/workflows/{workflowId}/status   the status document (as matih status -o json)
  GET  /v1/pipelines/workflows?status=&type=&pipeline_id=&pageSize=&pageToken=
  GET  /v1/approvals                                 runs awaiting approval, soonest deadline first
  POST /v1/backfills, POST /v1/migrations            start from a body in the contract's shape
  GET  /healthz, /readyz, /metrics, /v1/openapi.json
  POST /v1/slack/interactions                        Slack's interactivity requests (--slack-users):
                                                     Approve/Reject on the quality alert, as the
                                                     person the file maps the Slack user to
  POST /codec/decode, /codec/encode                  Temporal's codec server protocol, with the
                                                     codec keys (--codec-keys) and --tokens: a
                                                     read token decodes, an operate token encodes

--tokens FILE is YAML: tokens: [{name, scopes: [...], sha256}], the hex SHA-256 of
each bearer token (echo -n "$TOKEN" | sha256sum). Scopes: read, execute, approve,
cancel, backfill, migrate, override-quality; role: read or role: operate stand for
[read] and every scope but override-quality. Requests send
Authorization: Bearer <token>. The token's name
is the approver or requested_by recorded in Temporal and in the audit log.
Without --tokens the server listens on loopback only and serves GET only.

Errors are {"error":{"code","message","field"}}: 400 bad input (field named), 401,
403, 404, 409 (no approval awaited, duplicate start), 413 (body over 1 MiB), 503 with
Retry-After while Temporal is unreachable. The server starts while Temporal is down
and connects when it comes back. Every POST is written to the audit log (--audit-log).
An Idempotency-Key header makes a retried start answer the first one (24 h, per process).`

// serveCmd hosts the Pipeline Service API for the pipeline service, dashboards and scripts.
func (a *App) serveCmd() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{Use: "serve [--listen ADDR] [--tokens FILE] [--pipelines DIR] [--tls-cert F --tls-key F] [--ssh ADDR --operate-keys F --read-keys F]",
		Short: "serve the Pipeline Service HTTP API (execute, signal, status, list) with tokens and roles",
		Long:  serveLong, Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.serve(cmd.Context(), f) }}
	fl := cmd.Flags()
	fl.StringVar(&f.listen, "listen", "127.0.0.1:8080", "address to listen on; without --tokens it must be loopback")
	fl.StringVar(&f.tokens, "tokens", "", "YAML file of bearer tokens' SHA-256 digests with their names and roles; enables POST")
	fl.StringVar(&f.pipelines, "pipelines", "", "directory of pipeline definition files (as for matih start pipeline -f) execute may start")
	fl.StringVar(&f.tlsCert, "tls-cert", "", "serve HTTPS with this certificate (PEM), with --tls-key")
	fl.StringVar(&f.tlsKey, "tls-key", "", "private key (PEM) of --tls-cert")
	fl.StringVar(&f.codecOrigin, "codec-cors-origin", "", "the Temporal Web UI origin (https://host:port) allowed to call /codec/decode from a browser")
	fl.BoolVar(&f.insecureHTTP, "insecure-http", false, "take --tokens over plain HTTP on a non-loopback --listen (only where TLS ends in front of this server)")
	fl.Float64Var(&f.ratePerSecond, "rate", api.DefaultRatePerSecond, "requests a second each token may send (then 429 with Retry-After)")
	fl.IntVar(&f.burst, "burst", api.DefaultBurst, "requests a token may send at once above --rate")
	f.ssh.register(fl)
	f.slack.register(fl)
	connectionsFlag(fl, &f.connections)
	return cmd
}

// serve checks every setting before listening, so a mistake stops it at once with
// the flag named, then serves until SIGINT/SIGTERM and drains in-flight requests.
func (a *App) serve(ctx context.Context, f serveFlags) error {
	opts, err := a.serveOptions(f)
	if err != nil {
		return err
	}
	tlsConf, err := serveTLS(f)
	if err != nil {
		return err
	}
	backend := &apiBackend{dial: a.Source}
	opts.Backend = backend
	handler := api.New(opts)
	slackRoute, err := a.slackHandler(f.slack, opts, backend)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("--listen %s: %w", f.listen, err)
	}
	srv := &http.Server{Handler: withSlack(handler, slackRoute), TLSConfig: tlsConf, ErrorLog: slog.NewLogLogger(opts.Logger.Handler(), slog.LevelWarn),
		ReadHeaderTimeout: serveReadHeaderTimeout, ReadTimeout: serveReadTimeout, WriteTimeout: serveWriteTimeout, IdleTimeout: serveIdleTimeout}
	a.serveBanner(ln.Addr().String(), f, opts, handler.Mutating())
	go a.connectInBackground(backend)

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	sshDone := func() error { return nil }
	if f.ssh.addr != "" {
		if sshDone, err = a.startSSH(ctx, f.ssh); err != nil {
			ln.Close()
			return err
		}
	}
	done := make(chan error, 1)
	go func() {
		if tlsConf != nil {
			done <- srv.ServeTLS(ln, "", "")
		} else {
			done <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), serveShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if slackRoute != nil {
		slackRoute.Wait() // decisions Slack was already answered for
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return sshDone()
}

// serveOptions reads --tokens, --pipelines and --connections and refuses a tokenless server on a
// non-loopback address: without tokens anyone who reaches it could read everything.
func (a *App) serveOptions(f serveFlags) (api.Options, error) {
	opts := api.Options{ReadOnly: a.ReadOnly, Auditor: apiAudit{log: &audit.Log{Path: a.AuditPath}},
		Logger: slog.New(slog.NewTextHandler(a.Err, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	var err error
	if opts.Groups, err = a.groups(); err != nil {
		return opts, err
	}
	host, _, err := net.SplitHostPort(f.listen)
	if err != nil {
		return opts, usagef("--listen: expected host:port, got %q", f.listen)
	}
	if f.tokens != "" {
		if opts.Tokens, err = api.LoadTokens(f.tokens); err != nil {
			return opts, usagef("--tokens %s: %v", f.tokens, err)
		}
	} else if !isLoopback(host) {
		return opts, usagef("--listen %s: without --tokens matih serve listens on loopback only (127.0.0.1, ::1, localhost); pass --tokens FILE", f.listen)
	}
	if opts.Tokens != nil && !isLoopback(host) && f.tlsCert == "" && !f.insecureHTTP {
		return opts, usagef("--listen %s: bearer tokens would travel in clear: pass --tls-cert and --tls-key, or --insecure-http where TLS ends in front of this server", f.listen)
	}
	if f.ratePerSecond < 0 || f.burst < 0 {
		return opts, usagef("--rate and --burst: expected positive numbers, got %g and %d", f.ratePerSecond, f.burst)
	}
	opts.RatePerSecond, opts.Burst = f.ratePerSecond, f.burst
	if f.pipelines != "" {
		dir, err := loadPipelines(f.pipelines)
		if err != nil {
			return opts, err
		}
		opts.Pipelines = dir
	}
	if opts.Connections, err = loadConnections(f.connections); err != nil {
		return opts, err
	}
	ring, err := a.Conn.CodecRing()
	if err != nil {
		return opts, usageError{err}
	}
	if ring != nil {
		opts.Codec = ring
	}
	if prof, err := a.Conn.LoadProfile(); err == nil {
		opts.Namespace = prof.Namespace
	}
	if o := f.codecOrigin; o != "" && !strings.HasPrefix(o, "https://") && !strings.HasPrefix(o, "http://") {
		return opts, usagef("--codec-cors-origin: expected https://host[:port], got %q", o)
	}
	opts.CodecOrigin = f.codecOrigin
	return opts, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// serveTLS loads --tls-cert and --tls-key, both or neither.
func serveTLS(f serveFlags) (*tls.Config, error) {
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return nil, usagef("--tls-cert and --tls-key go together")
	}
	if f.tlsCert == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(f.tlsCert, f.tlsKey)
	if err != nil {
		return nil, usagef("--tls-cert/--tls-key: %v", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// serveBanner says what is served and, above all, what is not.
func (a *App) serveBanner(addr string, f serveFlags, opts api.Options, mutating bool) {
	scheme := "http"
	if f.tlsCert != "" {
		scheme = "https"
	}
	fmt.Fprintf(a.Out, "serving the Pipeline Service API on %s://%s (%s)\n", scheme, addr, api.PathOpenAPI)
	switch {
	case opts.Tokens == nil:
		fmt.Fprintln(a.Out, "no --tokens: loopback only, GET only (no execute, signal or start)")
	case !mutating:
		fmt.Fprintln(a.Out, "--read-only: GET only (no execute, signal or start)")
	default:
		fmt.Fprintf(a.Out, "tokens from %s; POST audited to %s\n", f.tokens, a.AuditPath)
	}
	if opts.Tokens != nil && f.tlsCert == "" {
		fmt.Fprintln(a.Out, "warning: no --tls-cert: bearer tokens travel in clear; put TLS in front or pass --tls-cert/--tls-key")
	}
	if d, ok := opts.Pipelines.(*pipelineDir); ok {
		fmt.Fprintf(a.Out, "execute: %s from %s\n", d, f.pipelines)
	}
}

// connectInBackground dials once at start so the first request need not, and says
// whether Temporal answered; requests dial again later if it did not.
func (a *App) connectInBackground(b *apiBackend) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.Ready(ctx); err != nil {
		fmt.Fprintf(a.Err, "matih serve: %s; answering 503 until it is reachable\n", present.OneLine(err.Error()))
		return
	}
	fmt.Fprintln(a.Err, "matih serve: connected to Temporal")
}
