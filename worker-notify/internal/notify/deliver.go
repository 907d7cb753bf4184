package notify

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/matih/ops/shared/keepalive"
	"github.com/matih/ops/worker-notify/internal/channel"
)

// Error types of the activities' failures, as workflows see them.
const (
	// ErrTypeDelivery is retried: a channel was unavailable or rate limited.
	ErrTypeDelivery = "NotificationDeliveryError"
	// ErrTypeRejected is final: a channel refused the notification or its credentials.
	ErrTypeRejected = "NotificationRejectedError"
)

// step is one delivery; its key is what the heartbeat records, so a retried attempt
// skips it once it went through.
type step struct {
	key     string
	channel string
	send    func(ctx context.Context) error
}

// Progress is the activity's heartbeat detail: the steps earlier attempts delivered
// and the ones a channel refused for good.
type Progress struct {
	Delivered []string          `json:"delivered"`
	Rejected  map[string]string `json:"rejected,omitempty"`
}

// deliver runs every step not already done by an earlier attempt, recording each
// outcome in a heartbeat, and only then reports what failed.
func (a *Activities) deliver(ctx context.Context, m channel.Message, steps []step) ([]string, error) {
	var p Progress
	if activity.HasHeartbeatDetails(ctx) {
		if err := activity.GetHeartbeatDetails(ctx, &p); err != nil {
			activity.GetLogger(ctx).Warn("ignoring unreadable heartbeat details", "error", err)
			p = Progress{}
		}
	}
	if p.Rejected == nil {
		p.Rejected = map[string]string{}
	}
	// A crashed attempt is retried after the heartbeat timeout, not the 5-minute
	// deadline; the keep-alive beats the progress so far while a channel is slow.
	var mu sync.Mutex
	beat := func() {
		mu.Lock()
		snap := Progress{Delivered: slices.Clone(p.Delivered), Rejected: maps.Clone(p.Rejected)}
		mu.Unlock()
		activity.RecordHeartbeat(ctx, snap)
	}
	stop := keepalive.Every(ctx, 5*time.Second, beat)
	defer stop()
	var failures []*channel.Error
	for _, s := range steps {
		if slices.Contains(p.Delivered, s.key) {
			continue
		}
		if msg, ok := p.Rejected[s.key]; ok {
			failures = append(failures, channel.Permanent(s.channel, "%s", msg))
			continue
		}
		err := s.send(ctx)
		if err == nil {
			mu.Lock()
			p.Delivered = append(p.Delivered, s.key)
			mu.Unlock()
			beat()
			continue
		}
		ce := a.asChannelError(s.channel, err)
		activity.GetLogger(ctx).Warn("notification not delivered", "channel", s.channel, "step", s.key,
			"workflow_id", m.WorkflowID, "kind", m.Kind, "retryable", ce.Retryable, "error", ce.Msg)
		if !ce.Retryable {
			mu.Lock()
			p.Rejected[s.key] = ce.Msg
			mu.Unlock()
			beat()
		}
		failures = append(failures, ce)
	}
	delivered := channelsOf(p.Delivered)
	return delivered, a.failure(m, failures, delivered)
}

// asChannelError scrubs secrets from any delivery error and gives it a class;
// unknown errors are retried.
func (a *Activities) asChannelError(ch string, err error) *channel.Error {
	var ce *channel.Error
	if !errors.As(err, &ce) {
		ce = channel.Temporary(ch, 0, "%v", err)
	}
	out := *ce
	out.Msg = a.Redactor.String(out.Msg)
	return &out
}

// failure builds the activity error once every step was tried: retryable (after the
// longest Retry-After asked for) while any channel may still succeed, final otherwise.
func (a *Activities) failure(m channel.Message, failures []*channel.Error, delivered []string) error {
	if len(failures) == 0 {
		return nil
	}
	var msgs []string
	retryable := false
	var after time.Duration
	for _, f := range failures {
		msgs = append(msgs, f.Error())
		if f.Retryable {
			retryable = true
			after = max(after, f.RetryAfter)
		}
	}
	done := "none"
	if len(delivered) > 0 {
		done = strings.Join(delivered, ", ")
	}
	msg := a.Redactor.String(fmt.Sprintf("%s notification for workflow %s: %s (delivered: %s)",
		m.Kind, m.WorkflowID, strings.Join(msgs, "; "), done))
	if retryable {
		return temporal.NewApplicationErrorWithOptions(msg, ErrTypeDelivery, temporal.ApplicationErrorOptions{NextRetryDelay: after})
	}
	return temporal.NewNonRetryableApplicationError(msg, ErrTypeRejected, nil)
}

// channelsOf turns step keys ("pagerduty:resolve:failure") into channel names.
func channelsOf(keys []string) []string {
	out := []string{}
	for _, k := range keys {
		c, _, _ := strings.Cut(k, ":")
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}
