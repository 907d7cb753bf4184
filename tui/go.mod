module github.com/matih/ops/tui

go 1.26.8

require github.com/matih/ops/shared v0.0.0

replace github.com/matih/ops/shared => ../shared
