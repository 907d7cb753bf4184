package console

import (
	"fmt"
	"testing"
	"time"

	"github.com/matih/ops/tui/internal/data/datafake"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/matih/ops/tui/internal/data"
)

// BenchmarkKeyAndView measures one key press plus a full View with n rows loaded. The
// target is that 100,000 rows cost at most 1.5x what 1,000 cost: only the rows on
// screen are drawn. scripts/bench.sh console prints the ratios.
func BenchmarkKeyAndView(b *testing.B) {
	for _, n := range []int{100, 1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			m := New(&datafake.Fake{}, Options{Now: func() time.Time { return fixedNow }})
			m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
			l := lv(m)
			m.Update(listMsg{gen: l.gen, page: data.Page{Rows: manyRows(n), NextToken: []byte("x")}, at: fixedNow})
			l.cursor = n / 2
			keys := []tea.KeyMsg{teaKey("j"), teaKey("k")}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				m.Update(keys[i%2])
				_ = m.View()
			}
		})
	}
}
