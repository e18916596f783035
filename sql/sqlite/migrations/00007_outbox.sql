-- +goose Up
-- Relays claim outbox messages: a claim moves next_try to the end of the
-- claimer's lease, so that no other relay takes the message until the
-- lease runs out (the claimer died), and names the claimer for operators.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE outbox DROP COLUMN claimed_by;
