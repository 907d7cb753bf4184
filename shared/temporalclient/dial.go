package temporalclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
)

// DialTimeout bounds how long we wait for an unreachable server.
const DialTimeout = 5 * time.Second

// ErrUnreachable marks a server that did not answer; callers map it to an exit code.
var ErrUnreachable = errors.New("temporal server unreachable")

// ErrNamespaceNotFound marks a namespace the server does not have.
var ErrNamespaceNotFound = errors.New("namespace not found")

// Dial connects, checks the namespace exists and returns the client. Extra options
// (metrics handler, interceptors) are applied through customize.
func Dial(ctx context.Context, cfg Config, logger *slog.Logger, customize func(*client.Options)) (client.Client, error) {
	opts, err := cfg.ClientOptions()
	if err != nil {
		return nil, err
	}
	if logger != nil {
		opts.Logger = sdklog.NewStructuredLogger(logger)
	} else {
		opts.Logger = sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))
	}
	if customize != nil {
		customize(&opts)
	}
	dctx, cancel := context.WithTimeout(ctx, DialTimeout)
	defer cancel()
	c, err := client.DialContext(dctx, opts)
	if err != nil {
		return nil, fmt.Errorf("%w at %s (is it running? check --address or TEMPORAL_ADDRESS): %s", ErrUnreachable, opts.HostPort, shortErr(err))
	}
	if err := CheckNamespace(dctx, c, opts.Namespace); err != nil {
		c.Close()
		return nil, fmt.Errorf("%w (server %s)", err, opts.HostPort)
	}
	return c, nil
}

// CheckNamespace returns ErrNamespaceNotFound with the name when it does not exist.
func CheckNamespace(ctx context.Context, c client.Client, namespace string) error {
	_, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
	var nf *serviceerror.NamespaceNotFound
	var unavailable *serviceerror.Unavailable
	switch {
	case err == nil:
		return nil
	case errors.As(err, &nf):
		return fmt.Errorf("%w: %q does not exist; create it with `temporal operator namespace create %s` or pick another with --namespace", ErrNamespaceNotFound, namespace, namespace)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w: no answer within %s", ErrUnreachable, DialTimeout)
	case errors.As(err, &unavailable) || status.Code(err) == codes.Unavailable:
		// The frontend answered, but cannot serve now: its database is down, or
		// the cluster is still starting. A worker waits for it, as for a server
		// that does not answer at all.
		return fmt.Errorf("%w: describe namespace %q: the server is unavailable: %s", ErrUnreachable, namespace, shortErr(err))
	default:
		return fmt.Errorf("describe namespace %q: %s", namespace, shortErr(err))
	}
}

// shortErr keeps the cause an operator can act on ("connection refused", "no such
// host") without gRPC's nested wrapping.
func shortErr(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "no answer within " + DialTimeout.String()
	}
	msg := err.Error()
	var st interface{ Message() string }
	if errors.As(err, &st) {
		msg = st.Message()
	}
	msg = strings.TrimRight(msg, `"`)
	if strings.Contains(msg, "no children to pick from") || strings.Contains(msg, "produced zero addresses") {
		return "the host name does not resolve"
	}
	if i := strings.LastIndex(msg, ": "); i >= 0 && strings.Contains(msg, "dial") {
		return msg[i+2:]
	}
	return msg
}
