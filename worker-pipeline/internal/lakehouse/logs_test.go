package lakehouse

import (
	"bytes"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRerunWarningIsDemotedAndExplained(t *testing.T) {
	var b bytes.Buffer
	info := slog.New(QuietRerunWarning(slog.NewTextHandler(&b, &slog.HandlerOptions{Level: slog.LevelInfo})))
	info.Warn(rerunWarning, "deleted", 50, "written", 25)
	assert.Empty(t, b.String(), "not a warning at info level")
	info.Warn("something else")
	assert.Contains(t, b.String(), "level=WARN msg=\"something else\"")

	b.Reset()
	debug := slog.New(QuietRerunWarning(slog.NewTextHandler(&b, &slog.HandlerOptions{Level: slog.LevelDebug})))
	debug.Warn(rerunWarning, "deleted", 50)
	assert.Contains(t, b.String(), "level=DEBUG")
	assert.Contains(t, b.String(), "deleted=50")
	assert.Contains(t, b.String(), "expected when a rerun partition")
}
