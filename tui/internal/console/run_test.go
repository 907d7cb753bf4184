package console

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/testkit"
	"github.com/matih/ops/tui/internal/cli"
)

// A console started while the server is down shows the banner, keeps running and
// dials again on the next refresh.
func TestConsoleStartsWithServerDown(t *testing.T) {
	app := &cli.App{Identity: "ana@bastion"}
	app.Conn.Address = testkit.FreeAddr(t)
	src := &dialingSource{app: app}
	m := New(src, Options{Identity: app.Identity, Now: func() time.Time { return fixedNow }})
	m.Update(teaSize(80, 24))
	drive(m, m.Init())
	v := m.View()
	assert.Contains(t, v, "DISCONNECTED")
	assert.Contains(t, v, "unreachable")
	assert.Equal(t, 24, len(strings.Split(v, "\n")))
	assert.Equal(t, 1, m.conn.failures)
	press(m, "ctrl+r")
	assert.Equal(t, 2, m.conn.failures, "each refresh dials again and backs off")
	assert.True(t, strings.HasPrefix(strings.Split(v, "\n")[1], "DISCONNECTED · no data yet · retry in 10s"), v)
}

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
