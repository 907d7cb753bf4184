package temporalclient

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// A frontend that answers but whose database is down (as a Temporal cluster
// answers while PostgreSQL restarts) is unreachable for now, not a fatal
// error: a worker starting then waits for it instead of exiting.
func TestAServerWhoseDatabaseIsDownIsUnreachableForNow(t *testing.T) {
	clearEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := grpc.NewServer(grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
		method, _ := grpc.MethodFromServerStream(stream)
		if strings.HasSuffix(method, "/GetSystemInfo") {
			if err := stream.RecvMsg(&workflowservice.GetSystemInfoRequest{}); err != nil {
				return err
			}
			return stream.SendMsg(&workflowservice.GetSystemInfoResponse{})
		}
		return status.Error(codes.Unavailable, "GetNamespace operation failed. Error no usable database connection found")
	}))
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)

	_, err = Dial(context.Background(), Config{Address: ln.Addr().String()}, nil, nil)
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrUnreachable), "%v", err)
	assert.ErrorContains(t, err, "no usable database connection found")
}
