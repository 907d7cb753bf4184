// Package workerrt runs one MATIH worker process: flags and env, dialing, a Temporal
// worker with the seed's concurrency, health and metrics over HTTP, and a graceful
// stop on SIGINT/SIGTERM.
package workerrt

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/datadir"
	"github.com/matih/ops/shared/metrics"
	"github.com/matih/ops/shared/temporalclient"
)

// Spec describes one worker binary.
type Spec struct {
	Name            string // binary name, used in logs and the worker identity
	TaskQueue       string
	DefaultHTTPAddr string
	// Flags adds the worker's own flags; they also read MATIH_* env.
	Flags func(fs *flag.FlagSet)
	// Validate checks the worker's own settings after flags and env are read and
	// before anything connects, so a bad setting is the first thing reported.
	Validate func() error
	// Workflows registers the worker's workflow types. The runtime calls it for the
	// worker and for `replay`, which needs the workflow code and nothing else.
	Workflows func(reg worker.WorkflowRegistry)
	// Setup builds the worker's dependencies and registers its activities (and any
	// workflows Workflows does not). The returned cleanup runs after the worker stopped.
	// Setup is tried again, with backoff, while it fails (a backend not up yet), so
	// it must register activities only once everything it opens has opened.
	Setup func(ctx context.Context, env Env, reg worker.Registry) (cleanup func(), err error)
	// LogHandler, if set, wraps the process's log handler (for a library's messages
	// that need another level). The wrapped logger is also slog's default.
	LogHandler func(slog.Handler) slog.Handler
	// ActivityContext, if set, decorates the context every activity runs under,
	// for settings a library reads from its context (iceberg-go's AWS config).
	ActivityContext func(context.Context) (context.Context, error)
}

// Env is what Setup gets from the runtime.
type Env struct {
	Client client.Client
	Logger *slog.Logger
}

// Options are the runtime's own settings.
type Options struct {
	Temporal      temporalclient.Config
	Concurrency   int
	HTTPAddr      string
	StopTimeout   time.Duration
	LogLevel      string
	LogFormat     string
	ReadyInterval time.Duration
	DataDir       string
	// BuildID names this build within the worker's Worker Deployment.
	BuildID string
	// Deployment is the Worker Deployment's name: matih-<worker>, or what the
	// Temporal Worker Controller hands the pod (TEMPORAL_DEPLOYMENT_NAME).
	Deployment string
}

// Main parses os.Args and runs the worker until a signal; it exits the process with
// status 2 on bad flags and 1 on other errors, printing one line.
func Main(spec Spec) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	run := Run
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "replay" {
		run, args = Replay, args[1:]
	} else if len(args) > 0 && args[0] == "gate" {
		run, args = Gate, args[1:]
	}
	if err := run(ctx, spec, args, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintf(os.Stderr, "%s: %v\n", spec.Name, err)
		var ue usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

type usageError struct{ error }

func (u usageError) Unwrap() error { return u.error }

// Parse reads flags then MATIH_* env into Options.
func Parse(spec Spec, args []string, stderr io.Writer) (Options, error) {
	var o Options
	fs := flag.NewFlagSet(spec.Name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	o.Temporal.RegisterFlags(fs)
	skip := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) { skip[f.Name] = true })
	fs.IntVar(&o.Concurrency, "concurrency", contract.DefaultActivityConcurrency, "activities run at once by this process (env MATIH_CONCURRENCY)")
	fs.StringVar(&o.HTTPAddr, "http-addr", spec.DefaultHTTPAddr, "listen address for /healthz, /readyz and /metrics (env MATIH_HTTP_ADDR)")
	fs.DurationVar(&o.StopTimeout, "stop-timeout", 30*time.Second, "how long running activities get to finish on SIGTERM (env MATIH_STOP_TIMEOUT)")
	fs.StringVar(&o.LogLevel, "log-level", "info", "debug, info, warn or error (env MATIH_LOG_LEVEL)")
	fs.StringVar(&o.LogFormat, "log-format", "text", "text or json (env MATIH_LOG_FORMAT)")
	fs.StringVar(&o.DataDir, "data-dir", datadir.Default(), "folder for local files; every relative path in a setting is inside it (env MATIH_DATA_DIR)")
	fs.StringVar(&o.BuildID, "build-id", "", fmt.Sprintf("this build's ID in Worker Deployment %q; default: the VCS revision, or a hash of the binary (env MATIH_BUILD_ID)", DeploymentName(spec.Name)))
	if spec.Flags != nil {
		spec.Flags(fs)
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: %s [flags]\n       %s replay [flags] [HISTORY.json|DIR ...]   (see %s replay -h)\n\nRuns the %s Temporal worker on task queue %q.\nEvery flag can also be set as MATIH_<FLAG> (e.g. MATIH_HTTP_ADDR); connection flags use TEMPORAL_*.\n\nFlags:\n", spec.Name, spec.Name, spec.Name, spec.Name, spec.TaskQueue)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, usageError{err}
	}
	if fs.NArg() > 0 {
		return o, usageError{fmt.Errorf("unexpected argument %q (flags only; see -h)", fs.Arg(0))}
	}
	if err := applyEnv(fs, skip); err != nil {
		return o, usageError{err}
	}
	if o.Concurrency < 1 || o.Concurrency > 1000 {
		return o, usageError{fmt.Errorf("--concurrency: expected 1..1000, got %d", o.Concurrency)}
	}
	if o.StopTimeout < 0 {
		return o, usageError{fmt.Errorf("--stop-timeout: expected a positive duration, got %s", o.StopTimeout)}
	}
	if _, _, err := net.SplitHostPort(o.HTTPAddr); err != nil {
		return o, usageError{fmt.Errorf("--http-addr: expected host:port, got %q", o.HTTPAddr)}
	}
	if _, err := newLogger(o.LogLevel, o.LogFormat); err != nil {
		return o, usageError{err}
	}
	if err := o.fromController(spec, os.Getenv); err != nil {
		return o, usageError{err}
	}
	if o.BuildID == "" {
		o.BuildID = DefaultBuildID() // only now: without VCS stamping it hashes the binary
	}
	if err := checkBuildID(o.BuildID); err != nil {
		return o, usageError{err}
	}
	if _, err := o.Temporal.LoadProfile(); err != nil {
		return o, usageError{err}
	}
	if err := datadir.Set(o.DataDir); err != nil {
		return o, usageError{fmt.Errorf("--data-dir: %w", err)}
	}
	if spec.Validate != nil {
		if err := spec.Validate(); err != nil {
			return o, usageError{err}
		}
	}
	o.ReadyInterval = 500 * time.Millisecond
	return o, nil
}

// Run parses args and runs the worker until ctx ends.
func Run(ctx context.Context, spec Spec, args []string, stderr io.Writer) error {
	o, err := Parse(spec, args, stderr)
	if err != nil {
		return err
	}
	return RunWith(ctx, spec, o)
}

// RunWith runs the worker with parsed options until ctx ends.
func RunWith(ctx context.Context, spec Spec, o Options) error {
	logger, _ := newLogger(o.LogLevel, o.LogFormat)
	logger = installDefault(spec, logger.Handler())
	if o.Deployment == "" {
		o.Deployment = DeploymentName(spec.Name)
	}
	version := deploymentOptions(o.Deployment, o.BuildID)
	logger = logger.With("worker", spec.Name, "task_queue", spec.TaskQueue, "deployment", version.Version.DeploymentName, "build_id", o.BuildID)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(buildInfo(version.Version))
	health := newHealth(version.Version)
	ln, err := net.Listen("tcp", o.HTTPAddr)
	if err != nil {
		return fmt.Errorf("--http-addr %s: %w", o.HTTPAddr, err)
	}
	srv := &http.Server{Handler: health.mux(reg), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer shutdownHTTP(srv)

	host, _ := os.Hostname()
	identity := fmt.Sprintf("%s@%d@%s", spec.Name, os.Getpid(), host)
	handler := metrics.NewHandler(reg)
	var namespace string
	c, err := untilUp(ctx, logger, health, "Temporal", func() (client.Client, error) {
		return temporalclient.Dial(ctx, o.Temporal, logger, func(co *client.Options) {
			co.MetricsHandler = handler
			co.Identity = identity
			namespace = co.Namespace
		})
	}, func(err error) bool {
		return errors.Is(err, temporalclient.ErrUnreachable) || errors.Is(err, temporalclient.ErrNamespaceNotFound)
	})
	if err != nil {
		return err
	}
	defer c.Close()

	activityCtx := context.Background()
	if spec.ActivityContext != nil {
		if activityCtx, err = spec.ActivityContext(activityCtx); err != nil {
			return err
		}
	}
	w := worker.New(c, spec.TaskQueue, worker.Options{
		BackgroundActivityContext:          activityCtx,
		MaxConcurrentActivityExecutionSize: o.Concurrency,
		WorkerStopTimeout:                  o.StopTimeout,
		// Heartbeats carry cancellation back to activities; sending them at most
		// every 2 s (not 80% of the heartbeat timeout) lets a cancel land quickly.
		MaxHeartbeatThrottleInterval: 2 * time.Second,
		Interceptors:                 []interceptor.WorkerInterceptor{metrics.NewInterceptor()},
		DeploymentOptions:            version,
	})
	rec := &recordingRegistry{Registry: w}
	registerWorkflows(spec, rec)
	dc, err := o.Temporal.DataConverter()
	if err != nil {
		return err
	}
	gate := &gateActivity{spec: spec, client: c, dc: dc, build: o.BuildID}
	rec.RegisterActivityWithOptions(gate.ReplayOpenRuns, activity.RegisterOptions{Name: contract.ActivityReplayOpenRuns})
	// Setup opens the worker's backends (catalog, staging): what fails there after
	// the settings were checked is mostly a backend not up yet, so it is tried again.
	cleanup, err := untilUp(ctx, logger, health, "its backends", func() (func(), error) {
		return spec.Setup(ctx, Env{Client: c, Logger: logger}, rec)
	}, func(error) bool { return true })
	if err != nil {
		return err
	}
	metrics.Preinit(handler, namespace, spec.TaskQueue, rec.workflows, rec.activities)
	if cleanup != nil {
		defer cleanup()
	}
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	logger.Info("worker started", "http", ln.Addr().String(), "concurrency", o.Concurrency, "identity", identity)
	go health.watchPollers(ctx, c, spec.TaskQueue, identity, o.ReadyInterval)

	<-ctx.Done()
	health.setDraining()
	logger.Info("stopping worker", "stop_timeout", o.StopTimeout)
	w.Stop()
	logger.Info("worker stopped")
	return nil
}

// Start-up backoff: a worker whose server or backends are down at start waits for
// them (not ready on /readyz, saying why) instead of exiting into a crash loop.
const (
	firstRetry = time.Second
	maxRetry   = 10 * time.Second
	logEvery   = 30 * time.Second
)

// untilUp calls try until it succeeds, ctx ends, or it fails with an error retry
// does not take, waiting longer after each failure (up to maxRetry) and logging why
// at once and then every logEvery.
func untilUp[T any](ctx context.Context, logger *slog.Logger, h *health, what string, try func() (T, error), retry func(error) bool) (T, error) {
	wait, lastLog := firstRetry, time.Time{}
	for {
		v, err := try()
		if err == nil {
			if !lastLog.IsZero() {
				logger.Info("up: " + what + " answered")
			}
			h.setWaiting(nil)
			return v, nil
		}
		if !retry(err) {
			return v, err
		}
		why := what + ": " + err.Error()
		h.setWaiting(&why)
		if time.Since(lastLog) >= logEvery {
			logger.Warn("waiting for "+what+" before polling", "error", err, "next_try_in", wait)
			lastLog = time.Now()
		}
		select {
		case <-ctx.Done():
			return v, fmt.Errorf("stopped while waiting for %s: %w", what, err)
		case <-time.After(wait):
		}
		wait = min(2*wait, maxRetry)
	}
}

func shutdownHTTP(srv *http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
}
