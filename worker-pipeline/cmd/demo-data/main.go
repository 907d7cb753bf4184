// Command demo-data creates the demo source database: an `orders` table with a chosen
// number of rows and share of NULL amounts.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/matih/ops/worker-pipeline/internal/demo"
)

func main() {
	fs := flag.NewFlagSet("demo-data", flag.ContinueOnError)
	out := fs.String("out", ".data/demo/orders.db", "SQLite file to create")
	rows := fs.Int("rows", 20000, "number of orders")
	nullRate := fs.Float64("null-rate", 0, "fraction of orders whose amount is NULL, in [0,1]")
	days := fs.Int("days", 30, "days the orders span, from --start")
	start := fs.String("start", "2026-01-01", "first order date (YYYY-MM-DD)")
	force := fs.Bool("force", false, "replace the file when it exists")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: demo-data [flags]\n\nCreates the demo orders database for the example pipelines.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(os.Args[1:]); err != nil {
		if err == flag.ErrHelp {
			return
		}
		os.Exit(2)
	}
	day, err := time.Parse("2006-01-02", *start)
	if err != nil {
		fmt.Fprintf(os.Stderr, "demo-data: --start: expected YYYY-MM-DD, got %q\n", *start)
		os.Exit(2)
	}
	if _, err := os.Stat(*out); err == nil && !*force {
		fmt.Printf("%s exists; keeping it (use --force to replace)\n", *out)
		return
	}
	spec := demo.OrdersSpec{Rows: *rows, NullRate: *nullRate, Days: *days, Start: day, Seed: 1}
	if err := demo.CreateOrders(context.Background(), *out, spec); err != nil {
		fmt.Fprintf(os.Stderr, "demo-data: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("created %s: %d orders, %.0f%% without amount\n", *out, *rows, *nullRate*100)
}
