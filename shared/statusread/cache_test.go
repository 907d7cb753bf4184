package statusread

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCacheDropsTheLeastRecentlyUsedRun(t *testing.T) {
	c := NewCache(2, nil)
	a := c.folder("a")
	c.folder("b")
	assert.Same(t, a, c.folder("a"), "a hit returns the same fold")
	c.folder("c") // b is now the least recently used
	assert.Equal(t, 2, c.Len())
	assert.Same(t, a, c.folder("a"))
	assert.NotSame(t, a, c.reset("a"))
}
