package backfill

import (
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"

	"github.com/matih/ops/shared/contract"
)

// lostLimit is how many tasks holding a partition may lose their worker on every
// attempt before the partition counts as failed: one that kills its worker (out of
// memory, say) must not cycle for ever.
const lostLimit = 3

// workerLost is true when a task ended because its worker stopped answering (a
// heartbeat or start-to-close timeout: killed, restarted, hung), not because the
// work itself failed.
func workerLost(err error) bool {
	var te *temporal.TimeoutError
	if !errors.As(err, &te) {
		return false
	}
	t := te.TimeoutType()
	return t == enumspb.TIMEOUT_TYPE_HEARTBEAT || t == enumspb.TIMEOUT_TYPE_START_TO_CLOSE
}

// handBack requeues partition i after its task lost its worker, unless tasks
// holding it were lost lostLimit times already.
func (s *state) handBack(i int) bool {
	if s.lost[i] >= lostLimit {
		return false
	}
	if s.lost == nil {
		s.lost = map[int]int{}
	}
	s.lost[i]++
	s.requeue = append(s.requeue, i)
	return true
}

// lostFailure is the failure of a partition whose every task lost its worker.
func (s *state) lostFailure(p contract.Partition, err error) contract.PartitionFailure {
	tasks := s.lost[p.Index] + 1
	delete(s.lost, p.Index)
	return contract.PartitionFailure{Partition: p, Attempts: tasks * attemptsOf(err),
		Error: short(fmt.Sprintf("%d tasks lost their worker on every attempt; last: %s", tasks, rootMessage(err)))}
}
