package console

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestListDurationsAreCoarseAboveAMinute(t *testing.T) {
	for d, want := range map[time.Duration]string{
		42 * time.Second:                             "42s",
		3*time.Minute + 13*time.Second:               "3m",
		2*time.Hour + 5*time.Minute + 59*time.Second: "2h 5m",
		26 * time.Hour:                               "26h 0m",
	} {
		assert.Equal(t, want, coarse(d), d.String())
	}
}
