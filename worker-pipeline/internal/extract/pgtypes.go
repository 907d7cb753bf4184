package extract

// PostgreSQL's types as staged: which Arrow type each becomes, and the binary
// decoders of those beyond the scalars in pgstream.go (uuid, bytea, jsonb, arrays).

import (
	"database/sql"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/matih/ops/shared/contract"
)

// pgScalars are the element types PostgreSQL columns map to, by pgx's type name.
var pgScalars = map[string]arrow.DataType{
	"INT2": arrow.PrimitiveTypes.Int64, "INT4": arrow.PrimitiveTypes.Int64, "INT8": arrow.PrimitiveTypes.Int64,
	"FLOAT4": arrow.PrimitiveTypes.Float64, "FLOAT8": arrow.PrimitiveTypes.Float64, "NUMERIC": arrow.PrimitiveTypes.Float64,
	"BOOL": arrow.FixedWidthTypes.Boolean, "DATE": arrow.FixedWidthTypes.Date32,
	"TIMESTAMP": timestampType, "TIMESTAMPTZ": timestampType,
	"TEXT": arrow.BinaryTypes.String, "VARCHAR": arrow.BinaryTypes.String, "BPCHAR": arrow.BinaryTypes.String,
	"NAME": arrow.BinaryTypes.String, "UUID": arrow.BinaryTypes.String, "JSON": arrow.BinaryTypes.String,
	"JSONB": arrow.BinaryTypes.String,
}

// pgArrowType is the Arrow type of a PostgreSQL column: the scalars above, bytea
// as binary, one-dimensional arrays of them as lists. Anything else is not mapped.
func pgArrowType(name string) (arrow.DataType, bool) {
	name = strings.ToUpper(name)
	if name == "BYTEA" {
		return arrow.BinaryTypes.Binary, true
	}
	if elem, ok := strings.CutPrefix(name, "_"); ok {
		t, ok := pgScalars[elem]
		if !ok {
			return nil, false
		}
		return arrow.ListOf(t), true
	}
	t, ok := pgScalars[name]
	return t, ok
}

// pgSchema is the staged schema of a PostgreSQL source; a column of a type it
// does not map is a ValidationError naming the column and its type, before any row
// is read (cast it in a query: col::text).
func pgSchema(cols []*sql.ColumnType) (*arrow.Schema, []contract.ColumnSchema, error) {
	fields := make([]arrow.Field, len(cols))
	desc := make([]contract.ColumnSchema, len(cols))
	for i, c := range cols {
		dt, ok := pgArrowType(c.DatabaseTypeName())
		if !ok {
			return nil, nil, contract.Invalid("source", "column %q is of PostgreSQL type %s, which extraction does not map "+
				"(integers, floats, numeric, bool, date, timestamps, text, uuid, json, bytea and arrays of them): cast it in a query, e.g. %s::text",
				c.Name(), strings.ToLower(c.DatabaseTypeName()), c.Name())
		}
		fields[i] = arrow.Field{Name: c.Name(), Type: dt, Nullable: true}
		desc[i] = contract.ColumnSchema{Name: c.Name(), Type: dt.String(), Nullable: true}
	}
	return arrow.NewSchema(fields, nil), desc, nil
}

// moreDecoder is the binary decoder of uuid, bytea, json, jsonb and arrays.
func moreDecoder(oid uint32) decoder {
	switch oid {
	case pgtype.UUIDOID:
		return func(b array.Builder, v []byte) error {
			sb, ok := b.(*array.StringBuilder)
			if !ok || len(v) != 16 {
				return fmt.Errorf("a uuid for a %T column", b)
			}
			sb.Append(fmt.Sprintf("%x-%x-%x-%x-%x", v[0:4], v[4:6], v[6:8], v[8:10], v[10:16]))
			return nil
		}
	case pgtype.ByteaOID:
		return func(b array.Builder, v []byte) error {
			bb, ok := b.(*array.BinaryBuilder)
			if !ok {
				return fmt.Errorf("bytes for a %T column", b)
			}
			bb.Append(v)
			return nil
		}
	case pgtype.JSONBOID, pgtype.JSONOID:
		return func(b array.Builder, v []byte) error {
			sb, ok := b.(*array.StringBuilder)
			if !ok {
				return fmt.Errorf("json for a %T column", b)
			}
			if oid == pgtype.JSONBOID { // jsonb's binary form is a version byte, then the text
				if len(v) == 0 || v[0] != 1 {
					return fmt.Errorf("a jsonb of an unknown version")
				}
				v = v[1:]
			}
			sb.BinaryBuilder.Append(v)
			return nil
		}
	}
	if elem, ok := arrayElements[oid]; ok {
		return arrayDecoder(elem)
	}
	return nil
}

// arrayElements is each array type's element type.
var arrayElements = map[uint32]uint32{
	pgtype.Int2ArrayOID: pgtype.Int2OID, pgtype.Int4ArrayOID: pgtype.Int4OID, pgtype.Int8ArrayOID: pgtype.Int8OID,
	pgtype.Float4ArrayOID: pgtype.Float4OID, pgtype.Float8ArrayOID: pgtype.Float8OID, pgtype.NumericArrayOID: pgtype.NumericOID,
	pgtype.BoolArrayOID: pgtype.BoolOID, pgtype.DateArrayOID: pgtype.DateOID, pgtype.TimestampArrayOID: pgtype.TimestampOID,
	pgtype.TimestamptzArrayOID: pgtype.TimestamptzOID, pgtype.TextArrayOID: pgtype.TextOID, pgtype.VarcharArrayOID: pgtype.VarcharOID,
	pgtype.BPCharArrayOID: pgtype.BPCharOID, pgtype.UUIDArrayOID: pgtype.UUIDOID,
}

// arrayDecoder reads PostgreSQL's binary array (dimensions, then each element's
// length and bytes, -1 for a null) into a list of its elements' Arrow type.
func arrayDecoder(elemOID uint32) decoder {
	elem := decoderFor(elemOID, 1)
	return func(b array.Builder, v []byte) error {
		lb, ok := b.(*array.ListBuilder)
		if !ok || len(v) < 12 {
			return fmt.Errorf("an array for a %T column", b)
		}
		ndim := int(binary.BigEndian.Uint32(v))
		v = v[12:]
		n := 0
		switch ndim {
		case 0: // the empty array
		case 1:
			if len(v) < 8 {
				return fmt.Errorf("a truncated array")
			}
			n = int(binary.BigEndian.Uint32(v))
			v = v[8:]
		default:
			return fmt.Errorf("an array of %d dimensions: only one-dimensional arrays are lists", ndim)
		}
		lb.Append(true)
		vb := lb.ValueBuilder()
		for i := 0; i < n; i++ {
			if len(v) < 4 {
				return fmt.Errorf("a truncated array")
			}
			size := int32(binary.BigEndian.Uint32(v))
			v = v[4:]
			if size < 0 {
				vb.AppendNull()
				continue
			}
			if int(size) > len(v) {
				return fmt.Errorf("a truncated array")
			}
			if err := elem(vb, v[:size]); err != nil {
				return fmt.Errorf("element %d: %w", i+1, err)
			}
			v = v[size:]
		}
		return nil
	}
}
