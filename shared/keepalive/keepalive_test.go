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
	after := n.Load()
	time.Sleep(20 * time.Millisecond)
	assert.Equal(t, after, n.Load(), "no tick once stop has returned")
	stop() // a second stop is harmless
}

func TestStopWaitsForATickInFlight(t *testing.T) {
	entered, release := make(chan struct{}, 1), make(chan struct{})
	var finished atomic.Bool
	stop := Every(context.Background(), time.Millisecond, func() {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-release
		finished.Store(true)
	})
	<-entered
	go func() { time.Sleep(10 * time.Millisecond); close(release) }()
	stop()
	assert.True(t, finished.Load(), "stop returned while fn was still running")
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
