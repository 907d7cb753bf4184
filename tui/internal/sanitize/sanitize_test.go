package sanitize

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestTextStripsHostileSequences(t *testing.T) {
	cases := map[string]string{
		"wf-\x1b[2Jboom":               "wf-[2Jboom",
		"wf-\x1b]52;c;ZXZpbA==\x07x":   "wf-]52;c;ZXZpbA==x",
		"over\rwrite":                  "overwrite",
		"csi\u009b31mred":              "csi31mred",
		"abc\u202Efdp.exe":             "abcfdp.exe",
		"iso\u2066late\u2069":          "isolate",
		"tab\tand\nnewline":            "tab and newline",
		"bad utf8 \xff":                "bad utf8 ?",
		"pipeline-sales-2026-02-12T06": "pipeline-sales-2026-02-12T06",
		"ünïcödé ✓":                    "ünïcödé ✓",
		"line\u2028para\u2029end":      "line para end",
	}
	for in, want := range cases {
		assert.Equal(t, want, Text(in), "%q", in)
	}
}
