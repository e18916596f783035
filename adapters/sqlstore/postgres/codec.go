package postgres

import (
	pgxdecimal "github.com/jackc/pgx-shopspring-decimal"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"
)

// numericCodec is pgx-shopspring-decimal's NUMERIC codec with a scan plan
// for the generated code's field types themselves. pgx asks a codec for a
// scan plan before anything else but, failing that, prefers a target's
// sql.Scanner to the integration's wrappers; decimal.Decimal is one, so
// without this every money column would come back as text that
// decimal.Scan parses again.
type numericCodec struct{ pgxdecimal.NumericCodec }

func (c numericCodec) PlanScan(m *pgtype.Map, oid uint32, format int16, target any) pgtype.ScanPlan {
	switch target.(type) {
	case *decimal.Decimal:
		if next := c.NumericCodec.PlanScan(m, oid, format, (*pgxdecimal.Decimal)(nil)); next != nil {
			return decimalScanPlan{next}
		}
	case *decimal.NullDecimal:
		if next := c.NumericCodec.PlanScan(m, oid, format, (*pgxdecimal.NullDecimal)(nil)); next != nil {
			return nullDecimalScanPlan{next}
		}
	}
	return c.NumericCodec.PlanScan(m, oid, format, target)
}

// decimalScanPlan hands the integration's plan the same memory under its
// own type, which is decimal.Decimal's.
type decimalScanPlan struct{ next pgtype.ScanPlan }

func (p decimalScanPlan) Scan(src []byte, dst any) error {
	return p.next.Scan(src, (*pgxdecimal.Decimal)(dst.(*decimal.Decimal)))
}

type nullDecimalScanPlan struct{ next pgtype.ScanPlan }

func (p nullDecimalScanPlan) Scan(src []byte, dst any) error {
	return p.next.Scan(src, (*pgxdecimal.NullDecimal)(dst.(*decimal.NullDecimal)))
}

// registerDecimal sets the integration up on a connection's type map and
// puts numericCodec in its codec's place.
func registerDecimal(m *pgtype.Map) {
	pgxdecimal.Register(m)
	m.RegisterType(&pgtype.Type{Name: "numeric", OID: pgtype.NumericOID, Codec: numericCodec{}})
}
