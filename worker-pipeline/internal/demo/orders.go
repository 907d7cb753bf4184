// Package demo creates the demo source database: an orders table of a chosen size and
// null rate, so the demo can run both a clean and a low-quality pipeline.
package demo

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite"
)

// OrdersSpec describes the generated table.
type OrdersSpec struct {
	Rows     int
	NullRate float64   // fraction of rows whose amount is NULL
	Start    time.Time // first order_date; orders spread one day per Rows/Days
	Days     int
	Seed     uint64
}

// CreateOrders writes a new SQLite file at path with an `orders` table. It builds the
// file under a temporary name and renames it, so a failure leaves nothing behind.
func CreateOrders(ctx context.Context, path string, spec OrdersSpec) error {
	if spec.Rows < 0 {
		return fmt.Errorf("rows: expected >= 0, got %d", spec.Rows)
	}
	if spec.NullRate < 0 || spec.NullRate > 1 {
		return fmt.Errorf("null-rate: expected a fraction in [0,1], got %v", spec.NullRate)
	}
	if spec.Days <= 0 {
		spec.Days = 30
	}
	if spec.Start.IsZero() {
		spec.Start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	_ = os.Remove(tmp)
	if err := write(ctx, tmp, spec); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

func write(ctx context.Context, path string, spec OrdersSpec) error {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)")
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `CREATE TABLE orders (
		order_id INTEGER PRIMARY KEY,
		customer_id INTEGER NOT NULL,
		amount REAL,
		status TEXT NOT NULL,
		order_date DATE NOT NULL,
		created_at TIMESTAMP NOT NULL)`); err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	rng := rand.New(rand.NewPCG(spec.Seed, 42))
	statuses := []string{"placed", "shipped", "delivered", "returned"}
	perDay := max(1, spec.Rows/spec.Days)
	for i := 0; i < spec.Rows; i++ {
		day := spec.Start.AddDate(0, 0, min(i/perDay, spec.Days-1))
		created := day.Add(time.Duration(rng.IntN(86400)) * time.Second)
		var amount any = float64(rng.IntN(50000)) / 100
		if rng.Float64() < spec.NullRate {
			amount = nil
		}
		if _, err := stmt.ExecContext(ctx, i+1, 1+rng.IntN(5000), amount, statuses[rng.IntN(len(statuses))],
			day.Format("2006-01-02"), created.Format("2006-01-02 15:04:05")); err != nil {
			return err
		}
	}
	return tx.Commit()
}
