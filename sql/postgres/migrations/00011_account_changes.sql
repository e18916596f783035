-- The event stream sends an account's balance whenever the account
-- changes (a deposit, a withdrawal, a top-up, a fill, a reservation),
-- found by when it last changed, as it finds changed orders.

-- +goose Up
CREATE INDEX accounts_updated ON accounts (updated_at);

-- +goose Down
DROP INDEX accounts_updated;
