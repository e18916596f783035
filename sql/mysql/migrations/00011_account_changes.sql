-- The event stream sends an account's balance whenever the account
-- changes (a deposit, a withdrawal, a top-up, a fill, a reservation),
-- found by when it last changed, as it finds changed orders.

-- +goose Up
ALTER TABLE accounts ADD KEY accounts_updated (updated_at);

-- +goose Down
ALTER TABLE accounts DROP KEY accounts_updated;
