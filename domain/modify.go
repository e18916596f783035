package domain

import (
	"fmt"
	"strings"
)

// CheckModify reports whether req is a change the order can take, without
// looking at the account: it must still be open and resting, the new
// quantity must be valid and above what has already filled, a new limit
// price needs an order that has one, and something must change. Modify
// runs the same checks; callers run this one first to refuse a request
// before they ask anybody else (the order's workflow) to carry it out.
func (o Order) CheckModify(req ModifyRequest) error {
	if !o.Open() {
		return Errorf(CodeConflict, "order %s is already %s and can no longer be modified", o.ID, o.Status)
	}
	if o.Type == MarketOrder {
		return Errorf(CodeConflict, "order %s is a MARKET order and does not rest", o.ID)
	}
	if req.Quantity < 0 {
		return FieldErrorf(CodeInvalid, "quantity", "must be a positive whole number of shares, got %d", req.Quantity)
	}
	if req.Quantity != 0 {
		if err := ValidateQuantity(req.Quantity); err != nil {
			return err
		}
		if req.Quantity <= o.FilledQuantity {
			return FieldErrorf(CodeInvalid, "quantity", "must be more than the %d shares already filled, got %d; cancel the order to stop it", o.FilledQuantity, req.Quantity)
		}
	}
	if req.LimitPrice.Valid && !o.LimitPrice.Valid {
		return FieldErrorf(CodeInvalid, "limit_price", "a %s order has no limit price to change", o.Type)
	}
	if !o.Changes(req) {
		return Errorf(CodeInvalid, "nothing to change: order %s already is %s", o.ID, o.describeSize())
	}
	return nil
}

// Changes reports whether req asks for a quantity or a limit price other
// than the order's.
func (o Order) Changes(req ModifyRequest) bool {
	if req.Quantity != 0 && req.Quantity != o.Quantity {
		return true
	}
	return req.LimitPrice.Valid && !req.LimitPrice.Decimal.Equal(o.LimitPrice.Decimal)
}

// Applied reports whether the order already is what req asks for: each
// field req sets has the value it asks.
func (o Order) Applied(req ModifyRequest) bool {
	if req.Quantity != 0 && req.Quantity != o.Quantity {
		return false
	}
	return !req.LimitPrice.Valid || (o.LimitPrice.Valid && req.LimitPrice.Decimal.Equal(o.LimitPrice.Decimal))
}

func (o Order) describeSize() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d shares", o.Quantity)
	if o.LimitPrice.Valid {
		fmt.Fprintf(&b, " at %s", o.LimitPrice.Decimal)
	}
	return b.String()
}
