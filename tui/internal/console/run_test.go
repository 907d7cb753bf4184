package console

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestResizeRedrawsToTheNewSize(t *testing.T) {
	m, _ := newTestModel(t, demoFake(), nil)
	m.Update(teaSize(100, 30))
	lines := strings.Split(m.View(), "\n")
	require.Len(t, lines, 30)
	for _, l := range lines {
		assert.LessOrEqual(t, len([]rune(l)), 100)
	}
	m.Update(teaSize(60, 15))
	assert.Len(t, strings.Split(m.View(), "\n"), 15)
}
