package keepalive

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestEveryTicksUntilStopped(t *testing.T) {
	var n atomic.Int32
	stop := Every(context.Background(), time.Millisecond, func() { n.Add(1) })
	assert.Eventually(t, func() bool { return n.Load() >= 3 }, 5*time.Second, time.Millisecond)
	stop()
	time.Sleep(20 * time.Millisecond) // let a tick in flight land
	after := n.Load()
	time.Sleep(20 * time.Millisecond)
	assert.Equal(t, after, n.Load(), "no tick after stop")
}

func TestEveryEndsWithItsContext(t *testing.T) {
	var n atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	stop := Every(ctx, time.Millisecond, func() { n.Add(1) })
	defer stop()
	assert.Eventually(t, func() bool { return n.Load() >= 1 }, 5*time.Second, time.Millisecond)
	cancel()
	time.Sleep(20 * time.Millisecond)
	after := n.Load()
	time.Sleep(20 * time.Millisecond)
	assert.Equal(t, after, n.Load(), "no tick after the context ended")
}
