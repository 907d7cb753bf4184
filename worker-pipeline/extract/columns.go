package extract

import (
	"database/sql"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/matih/ops/shared/contract"
)

var timestampType = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}

// arrowType maps a database column type name to the Arrow type staged for it.
// SQLite reports declared types, PostgreSQL (pgx) its type names.
func arrowType(dbType string) arrow.DataType {
	t := strings.ToUpper(dbType)
	switch {
	case strings.Contains(t, "INT") || t == "SERIAL" || t == "BIGSERIAL":
		return arrow.PrimitiveTypes.Int64
	case strings.Contains(t, "REAL") || strings.Contains(t, "FLOA") || strings.Contains(t, "DOUB") ||
		strings.Contains(t, "NUMERIC") || strings.Contains(t, "DECIMAL"):
		return arrow.PrimitiveTypes.Float64
	case strings.HasPrefix(t, "BOOL"):
		return arrow.FixedWidthTypes.Boolean
	case strings.Contains(t, "TIMESTAMP") || strings.Contains(t, "DATETIME"):
		return timestampType
	case t == "DATE":
		return arrow.FixedWidthTypes.Date32
	default:
		return arrow.BinaryTypes.String
	}
}

// arrowSchema builds the staged schema; every column is nullable because SQL columns
// are unless proven otherwise, and a stricter table schema is the loader's business.
func arrowSchema(cols []*sql.ColumnType) (*arrow.Schema, []contract.ColumnSchema) {
	fields := make([]arrow.Field, len(cols))
	desc := make([]contract.ColumnSchema, len(cols))
	for i, c := range cols {
		dt := arrowType(c.DatabaseTypeName())
		fields[i] = arrow.Field{Name: c.Name(), Type: dt, Nullable: true}
		desc[i] = contract.ColumnSchema{Name: c.Name(), Type: dt.String(), Nullable: true}
	}
	return arrow.NewSchema(fields, nil), desc
}

// timeLayouts are the text forms SQLite commonly stores timestamps in.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05", "2006-01-02"}

func parseTime(s string) (time.Time, error) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not a timestamp: %q", s)
}

// appendValue appends one scanned value to a column builder.
func appendValue(b array.Builder, v any) error {
	if v == nil {
		b.AppendNull()
		return nil
	}
	if bs, ok := v.([]byte); ok {
		v = string(bs)
	}
	switch b := b.(type) {
	case *array.Int64Builder:
		n, err := toInt64(v)
		if err != nil {
			return err
		}
		b.Append(n)
	case *array.Float64Builder:
		f, err := toFloat64(v)
		if err != nil {
			return err
		}
		b.Append(f)
	case *array.BooleanBuilder:
		switch x := v.(type) {
		case bool:
			b.Append(x)
		case int64:
			b.Append(x != 0)
		case string:
			p, err := strconv.ParseBool(x)
			if err != nil {
				return err
			}
			b.Append(p)
		default:
			return fmt.Errorf("not a boolean: %v", v)
		}
	case *array.TimestampBuilder:
		t, err := toTime(v)
		if err != nil {
			return err
		}
		b.Append(arrow.Timestamp(t.UnixMicro()))
	case *array.Date32Builder:
		t, err := toTime(v)
		if err != nil {
			return err
		}
		b.Append(arrow.Date32FromTime(t))
	case *array.StringBuilder:
		b.Append(toString(v))
	default:
		return fmt.Errorf("unsupported column builder %T", b)
	}
	return nil
}

func toInt64(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case int32:
		return int64(x), nil
	case float64:
		if x != math.Trunc(x) {
			return 0, fmt.Errorf("not an integer: %v", x)
		}
		return int64(x), nil
	case string:
		return strconv.ParseInt(strings.TrimSpace(x), 10, 64)
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	}
	return 0, fmt.Errorf("not an integer: %v (%T)", v, v)
}

func toFloat64(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case string:
		return strconv.ParseFloat(strings.TrimSpace(x), 64)
	case fmt.Stringer: // pgtype.Numeric and friends
		return strconv.ParseFloat(x.String(), 64)
	}
	return 0, fmt.Errorf("not a number: %v (%T)", v, v)
}

func toTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x, nil
	case string:
		return parseTime(x)
	case int64:
		return time.Unix(x, 0).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("not a timestamp: %v (%T)", v, v)
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v)
}
