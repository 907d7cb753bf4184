package extract

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/matih/ops/shared/contract"
)

// PostgreSQL's epoch is 2000-01-01; Arrow's is 1970-01-01.
const (
	pgEpochDays   = 10957
	pgEpochMicros = pgEpochDays * 86400 * 1_000_000
)

// binaryOIDs are the types read in PostgreSQL's binary format and decoded straight
// into their column's builder: no value is boxed. Every other type comes as text and
// takes the common path (appendValue), as it would through database/sql.
var binaryOIDs = pgx.QueryResultFormatsByOID{
	pgtype.Int2OID: pgx.BinaryFormatCode, pgtype.Int4OID: pgx.BinaryFormatCode, pgtype.Int8OID: pgx.BinaryFormatCode,
	pgtype.Float4OID: pgx.BinaryFormatCode, pgtype.Float8OID: pgx.BinaryFormatCode, pgtype.BoolOID: pgx.BinaryFormatCode,
	pgtype.DateOID: pgx.BinaryFormatCode, pgtype.TimestampOID: pgx.BinaryFormatCode, pgtype.TimestamptzOID: pgx.BinaryFormatCode,
	pgtype.TextOID: pgx.BinaryFormatCode, pgtype.VarcharOID: pgx.BinaryFormatCode, pgtype.BPCharOID: pgx.BinaryFormatCode,
	pgtype.NameOID: pgx.BinaryFormatCode, pgtype.NumericOID: pgx.BinaryFormatCode,
	pgtype.UUIDOID: pgx.BinaryFormatCode, pgtype.ByteaOID: pgx.BinaryFormatCode, pgtype.JSONBOID: pgx.BinaryFormatCode,
	pgtype.JSONOID: pgx.BinaryFormatCode, pgtype.Int2ArrayOID: pgx.BinaryFormatCode, pgtype.Int4ArrayOID: pgx.BinaryFormatCode,
	pgtype.Int8ArrayOID: pgx.BinaryFormatCode, pgtype.Float4ArrayOID: pgx.BinaryFormatCode, pgtype.Float8ArrayOID: pgx.BinaryFormatCode,
	pgtype.NumericArrayOID: pgx.BinaryFormatCode, pgtype.BoolArrayOID: pgx.BinaryFormatCode, pgtype.DateArrayOID: pgx.BinaryFormatCode,
	pgtype.TimestampArrayOID: pgx.BinaryFormatCode, pgtype.TimestamptzArrayOID: pgx.BinaryFormatCode,
	pgtype.TextArrayOID: pgx.BinaryFormatCode, pgtype.VarcharArrayOID: pgx.BinaryFormatCode,
	pgtype.BPCharArrayOID: pgx.BinaryFormatCode, pgtype.UUIDArrayOID: pgx.BinaryFormatCode,
}

// decoder appends one non-null raw value to a builder.
type decoder func(b array.Builder, v []byte) error

// streamPostgres reads q on one of the pool's own pgx connections (the same
// read-only session with its statement timeout) and fills the builders from the raw
// wire values.
func (e *Extractor) streamPostgres(ctx context.Context, db *sql.DB, q string, schema *arrow.Schema, dir string, p Progress, beat func(Progress)) (Progress, error) {
	return e.readPostgres(ctx, db, q, schema, dir, p, beat, plainSink)
}

// readPostgres is streamPostgres with the sink's options (a key range's tag and key).
func (e *Extractor) readPostgres(ctx context.Context, db *sql.DB, q string, schema *arrow.Schema, dir string, p Progress, beat func(Progress), opts sinkOpts) (Progress, error) {
	c, err := db.Conn(ctx)
	if err != nil {
		return p, fmt.Errorf("connect to postgres source: %w", err)
	}
	defer c.Close()
	out := p
	err = c.Raw(func(dc any) error {
		conn := dc.(*stdlib.Conn).Conn()
		// An explicit READ ONLY transaction: the session's default could be changed
		// by a statement before this one; this cannot be, once it has begun.
		tx, err := conn.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
		if err != nil {
			return fmt.Errorf("begin read-only transaction: %w", ClassifySourceError(err))
		}
		defer tx.Rollback(context.WithoutCancel(ctx))
		rows, err := tx.Query(ctx, q, binaryOIDs)
		if err != nil {
			return fmt.Errorf("query postgres source: %w", ClassifySourceError(err))
		}
		defer rows.Close()
		fields := rows.FieldDescriptions()
		if len(fields) != len(schema.Fields()) {
			return fmt.Errorf("postgres source: %d columns, the probe saw %d", len(fields), len(schema.Fields()))
		}
		decs := make([]decoder, len(fields))
		for i, f := range fields {
			decs[i] = decoderFor(f.DataTypeOID, f.Format)
		}
		s := e.newSink(ctx, schema, dir, p, beat, opts)
		for rows.Next() {
			for i, v := range rows.RawValues() {
				b := s.bld.Field(i)
				if v == nil {
					b.AppendNull()
					continue
				}
				var err error
				if decs[i] != nil {
					err = decs[i](b, v)
				} else {
					err = appendValue(b, string(v), &s.times[i])
				}
				if err != nil {
					out, err = s.abort(contract.Invalid("source", "column %q row %d: %v", schema.Field(i).Name, s.row(), err))
					return err
				}
			}
			if err := s.rowDone(); err != nil {
				out, err = s.abort(err)
				return err
			}
		}
		if err := rows.Err(); err != nil {
			out, err = s.abort(fmt.Errorf("read postgres source: %w", ClassifySourceError(err)))
			return err
		}
		out, err = s.close()
		return err
	})
	return out, err
}

// decoderFor is the binary decoder of a column, or nil for the text path. A
// decoder checks it got the builder the staged schema gives that type.
func decoderFor(oid uint32, format int16) decoder {
	if format != pgx.BinaryFormatCode {
		return nil
	}
	switch oid {
	case pgtype.Int2OID, pgtype.Int4OID, pgtype.Int8OID:
		return func(b array.Builder, v []byte) error {
			ib, ok := b.(*array.Int64Builder)
			if !ok {
				return fmt.Errorf("an integer for a %T column", b)
			}
			switch len(v) {
			case 2:
				ib.Append(int64(int16(binary.BigEndian.Uint16(v))))
			case 4:
				ib.Append(int64(int32(binary.BigEndian.Uint32(v))))
			case 8:
				ib.Append(int64(binary.BigEndian.Uint64(v)))
			default:
				return fmt.Errorf("an integer of %d bytes", len(v))
			}
			return nil
		}
	case pgtype.Float4OID, pgtype.Float8OID:
		return func(b array.Builder, v []byte) error {
			fb, ok := b.(*array.Float64Builder)
			if !ok {
				return fmt.Errorf("a float for a %T column", b)
			}
			switch len(v) {
			case 4:
				fb.Append(float64(math.Float32frombits(binary.BigEndian.Uint32(v))))
			case 8:
				fb.Append(math.Float64frombits(binary.BigEndian.Uint64(v)))
			default:
				return fmt.Errorf("a float of %d bytes", len(v))
			}
			return nil
		}
	case pgtype.BoolOID:
		return func(b array.Builder, v []byte) error {
			bb, ok := b.(*array.BooleanBuilder)
			if !ok || len(v) != 1 {
				return fmt.Errorf("a boolean for a %T column", b)
			}
			bb.Append(v[0] != 0)
			return nil
		}
	case pgtype.DateOID:
		return func(b array.Builder, v []byte) error {
			db, ok := b.(*array.Date32Builder)
			if !ok || len(v) != 4 {
				return fmt.Errorf("a date for a %T column", b)
			}
			d := int32(binary.BigEndian.Uint32(v))
			if d == math.MaxInt32 || d == math.MinInt32 {
				return errors.New("an infinite date, which Parquet cannot hold")
			}
			db.Append(arrow.Date32(d + pgEpochDays))
			return nil
		}
	case pgtype.TimestampOID, pgtype.TimestamptzOID:
		return func(b array.Builder, v []byte) error {
			tb, ok := b.(*array.TimestampBuilder)
			if !ok || len(v) != 8 {
				return fmt.Errorf("a timestamp for a %T column", b)
			}
			us := int64(binary.BigEndian.Uint64(v))
			if us == math.MaxInt64 || us == math.MinInt64 {
				return errors.New("an infinite timestamp, which Parquet cannot hold")
			}
			tb.Append(arrow.Timestamp(us + pgEpochMicros))
			return nil
		}
	case pgtype.NumericOID:
		return func(b array.Builder, v []byte) error {
			fb, ok := b.(*array.Float64Builder)
			if !ok {
				return fmt.Errorf("a numeric for a %T column", b)
			}
			f, err := numericFloat(v)
			if err != nil {
				return err
			}
			fb.Append(f)
			return nil
		}
	case pgtype.TextOID, pgtype.VarcharOID, pgtype.BPCharOID, pgtype.NameOID:
		return func(b array.Builder, v []byte) error {
			sb, ok := b.(*array.StringBuilder)
			if !ok {
				return fmt.Errorf("text for a %T column", b)
			}
			sb.BinaryBuilder.Append(v)
			return nil
		}
	}
	return moreDecoder(oid)
}

// numericFloat reads PostgreSQL's binary numeric (base-10000 digits with a weight
// and a sign) as the float64 the staged schema gives numeric columns.
func numericFloat(v []byte) (float64, error) {
	if len(v) < 8 {
		return 0, fmt.Errorf("a numeric of %d bytes", len(v))
	}
	n := int(binary.BigEndian.Uint16(v))
	weight := int(int16(binary.BigEndian.Uint16(v[2:])))
	sign := binary.BigEndian.Uint16(v[4:])
	if len(v) != 8+2*n {
		return 0, fmt.Errorf("a numeric of %d digits in %d bytes", n, len(v))
	}
	switch sign {
	case 0xC000:
		return math.NaN(), nil
	case 0xD000:
		return math.Inf(1), nil
	case 0xF000:
		return math.Inf(-1), nil
	}
	var f float64
	for i := 0; i < n; i++ {
		f = f*10000 + float64(binary.BigEndian.Uint16(v[8+2*i:]))
	}
	f *= math.Pow(10000, float64(weight-n+1))
	if sign == 0x4000 {
		f = -f
	}
	return f, nil
}
