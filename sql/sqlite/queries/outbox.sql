-- name: Enqueue :exec
INSERT INTO outbox (id, kind, msg_key, payload, attempts, next_try, last_error, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?);

-- name: DueOutbox :many
SELECT * FROM outbox
WHERE next_try <= sqlc.arg(now)
ORDER BY next_try, id
LIMIT CAST(sqlc.arg('limit') AS INTEGER);

-- name: DeleteOutbox :execrows
DELETE FROM outbox WHERE id IN (sqlc.slice(ids));

-- name: DeferOutbox :execrows
UPDATE outbox
SET attempts = attempts + 1, next_try = ?, last_error = ?
WHERE id = ?;

-- name: OutboxSize :one
SELECT count(*) FROM outbox;
