package query

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// TypeKey is the Arrow field metadata key holding a result column's SQL type (common.proto Column.type).
const TypeKey = "kamld.type"

var decimalTypeRE = regexp.MustCompile(`^DECIMAL\((\d+),\s*(\d+)\)$`)

// ArrowType is the Arrow type a result column of a dialect SQL type (tabular.NormalizeType) travels as, the same
// on every engine: BIGINT int64, DOUBLE float64, DECIMAL(p,s) decimal128(p,s), VARCHAR utf8, DATE date32,
// TIME time64[us], TIMESTAMP timestamp[us], TIMESTAMP WITH TIME ZONE timestamp[us, UTC], BLOB binary, ARRAY(t)
// list<t>. Anything else (STRUCT…) travels as its text, like VARCHAR.
func ArrowType(dialect string) arrow.DataType {
	switch dialect {
	case "BOOLEAN":
		return arrow.FixedWidthTypes.Boolean
	case "BIGINT":
		return arrow.PrimitiveTypes.Int64
	case "DOUBLE":
		return arrow.PrimitiveTypes.Float64
	case "DATE":
		return arrow.FixedWidthTypes.Date32
	case "TIME":
		return arrow.FixedWidthTypes.Time64us
	case "TIMESTAMP":
		return &arrow.TimestampType{Unit: arrow.Microsecond}
	case "TIMESTAMP WITH TIME ZONE":
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	case "BLOB":
		return arrow.BinaryTypes.Binary
	}
	if m := decimalTypeRE.FindStringSubmatch(dialect); m != nil {
		p, _ := strconv.Atoi(m[1])
		s, _ := strconv.Atoi(m[2])
		if p >= 1 && p <= 38 && s <= p {
			return &arrow.Decimal128Type{Precision: int32(p), Scale: int32(s)}
		}
	}
	if inner, ok := strings.CutPrefix(dialect, "ARRAY("); ok {
		return arrow.ListOf(ArrowType(strings.TrimSuffix(inner, ")")))
	}
	return arrow.BinaryTypes.String
}

// ArrowSchema is the Arrow schema of a result with these columns.
func ArrowSchema(cols []Column) *arrow.Schema {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c.Name, Type: ArrowType(c.Type), Nullable: true,
			Metadata: arrow.NewMetadata([]string{TypeKey}, []string{c.Type})}
	}
	return arrow.NewSchema(fields, nil)
}

// DialectOf names an engine's Arrow type in the SQL dialect, following tabular.NormalizeType: narrower
// integers widen to BIGINT, floats to DOUBLE, unsigned 64-bit integers become DECIMAL(38,0). Types with no
// dialect counterpart are VARCHAR (their values then travel as text).
func DialectOf(t arrow.DataType) string {
	switch x := t.(type) {
	case *arrow.Int8Type, *arrow.Int16Type, *arrow.Int32Type, *arrow.Int64Type,
		*arrow.Uint8Type, *arrow.Uint16Type, *arrow.Uint32Type:
		return "BIGINT"
	case *arrow.Uint64Type:
		return "DECIMAL(38,0)"
	case *arrow.Float32Type, *arrow.Float64Type:
		return "DOUBLE"
	case *arrow.Decimal128Type:
		return fmt.Sprintf("DECIMAL(%d,%d)", x.Precision, x.Scale)
	case *arrow.BooleanType:
		return "BOOLEAN"
	case *arrow.BinaryType, *arrow.LargeBinaryType, *arrow.BinaryViewType:
		return "BLOB"
	case *arrow.Date32Type, *arrow.Date64Type:
		return "DATE"
	case *arrow.Time32Type, *arrow.Time64Type:
		return "TIME"
	case *arrow.TimestampType:
		if x.TimeZone != "" {
			return "TIMESTAMP WITH TIME ZONE"
		}
		return "TIMESTAMP"
	case *arrow.ListType:
		return "ARRAY(" + DialectOf(x.Elem()) + ")"
	case *arrow.LargeListType:
		return "ARRAY(" + DialectOf(x.Elem()) + ")"
	}
	return "VARCHAR"
}
