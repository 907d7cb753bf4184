package backfill

import (
	"github.com/matih/ops/shared/wfstate"
	"go.temporal.io/sdk/workflow"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/signals"
	"github.com/matih/ops/shared/status"
)

// setupHandlers registers the status and progress queries and the pause and resume
// updates (the signals of the same names are read in run's selector).
func (s *state) setupHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, contract.QueryStatus, func() (status.BackfillDocument, error) {
		return s.document(ctx), nil
	}); err != nil {
		return err
	}
	if err := workflow.SetQueryHandler(ctx, contract.QueryProgress, func() (float64, error) {
		return s.progress(), nil
	}); err != nil {
		return err
	}
	s.wake = workflow.NewBufferedChannel(ctx, 1)
	for _, name := range []string{contract.SignalPause, contract.SignalResume} {
		pause := name == contract.SignalPause
		if err := workflow.SetUpdateHandler(ctx, name, func(ctx workflow.Context, sig contract.PauseSignal) (*status.PartitionSummary, error) {
			s.setPaused(ctx, pause, sig)
			return s.summary(workflow.Now(ctx)), nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// addSignals makes the selector wake for pause and resume (signals or updates) and
// cancellation, so a paused backfill with nothing in flight still hears them.
func (s *state) addSignals(ctx workflow.Context, sel workflow.Selector) {
	for _, name := range []string{contract.SignalPause, contract.SignalResume} {
		pause := name == contract.SignalPause
		sel.AddReceive(workflow.GetSignalChannel(ctx, name), func(c workflow.ReceiveChannel, _ bool) {
			var sig contract.PauseSignal
			if _, err := signals.ReceiveAsync(c, &sig); err != nil {
				s.refused.Refuse(ctx, name, err.Error())
				return
			}
			s.setPaused(ctx, pause, sig)
		})
	}
	sel.AddReceive(workflow.GetSignalChannel(ctx, contract.SignalCancel), func(c workflow.ReceiveChannel, _ bool) {
		var sig contract.CancelSignal
		if _, err := signals.ReceiveAsync(c, &sig); err != nil {
			s.refused.Refuse(ctx, contract.SignalCancel, err.Error())
			return
		}
		if s.cancelReq == nil && s.cancelRun != nil {
			s.cancelReq = &sig
			s.cancelRun()
		}
	})
	workflow.Go(ctx, func(gctx workflow.Context) {
		gctx.Done().Receive(gctx, nil)
		s.wake.SendAsync(true)
	})
	sel.AddReceive(s.wake, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
}

func (s *state) setPaused(ctx workflow.Context, pause bool, sig contract.PauseSignal) {
	if s.paused == pause {
		return
	}
	s.paused = pause
	s.wake.SendAsync(true)
	workflow.GetLogger(ctx).Info("backfill pause changed", "paused", pause, "by", sig.RequestedBy, "reason", sig.Reason)
	if pause {
		s.setPhase(ctx, contract.PhasePaused)
	} else {
		s.setPhase(ctx, contract.PhaseProcessing)
	}
}

// document renders the status query's answer: the common document plus partitions.
func (s *state) document(ctx workflow.Context) status.BackfillDocument {
	d := wfstate.Head(ctx, s.phase, s.progress(), s.started)
	if len(s.inflight) > 0 {
		d.CurrentActivity = contract.ActivityProcessPartition
	}
	if s.paused {
		d.PendingSignals = append(d.PendingSignals, contract.SignalResume)
	}
	d.Partitions = s.summary(workflow.Now(ctx))
	d.RefusedSignals = s.refused.Summary()
	return d
}
