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

// timeLayouts are the text forms SQLite commonly stores timestamps in; the last is
// Go's time.Time.String, which Go programs writing through database/sql leave behind.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999", "2006-01-02", "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02 15:04:05.999999999 -0700 MST"}

// timeParser parses one column's text timestamps. A column keeps one layout, so it
// tries the one that matched last before the others: a miss costs an error value.
type timeParser struct{ last int }

func (p *timeParser) parse(s string) (time.Time, error) {
	if i := strings.Index(s, " m="); i > 0 {
		s = s[:i] // the monotonic clock reading time.Time.String appends
	}
	if t, ok := parsePlain(s); ok {
		return t, nil
	}
	if t, err := time.Parse(timeLayouts[p.last], s); err == nil {
		return t, nil
	}
	for i, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			p.last = i
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not a timestamp: %q", s)
}

// parsePlain parses the two forms SQLite's own date functions write,
// "YYYY-MM-DD" and "YYYY-MM-DD HH:MM:SS" (or with a T), as time.Parse would, in a
// tenth of its time; anything else, or out of range, is left to time.Parse.
func parsePlain(s string) (time.Time, bool) {
	if (len(s) != 10 && len(s) != 19) || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	y, ok1 := digits(s[0:4])
	mo, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 || mo < 1 || mo > 12 || d < 1 || d > daysIn(time.Month(mo), y) {
		return time.Time{}, false
	}
	var h, mi, sec int
	if len(s) == 19 {
		var ok4, ok5, ok6 bool
		h, ok4 = digits(s[11:13])
		mi, ok5 = digits(s[14:16])
		sec, ok6 = digits(s[17:19])
		if (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':' || !ok4 || !ok5 || !ok6 || h > 23 || mi > 59 || sec > 59 {
			return time.Time{}, false
		}
	}
	return time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC), true
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(m time.Month, year int) int {
	if m == time.February && year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		return 29
	}
	return [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m-1]
}

// appendValue appends one scanned value to a column builder; tp parses the
// column's text timestamps.
func appendValue(b array.Builder, v any, tp *timeParser) error {
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
		t, err := toTime(v, tp)
		if err != nil {
			return err
		}
		b.Append(arrow.Timestamp(t.UnixMicro()))
	case *array.Date32Builder:
		t, err := toTime(v, tp)
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

func toTime(v any, tp *timeParser) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x, nil
	case string:
		return tp.parse(x)
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
