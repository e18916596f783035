-- name: Enqueue :exec
INSERT INTO outbox (id, kind, msg_key, payload, attempts, next_try, last_error, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8);

-- name: DueOutbox :many
SELECT * FROM outbox
WHERE next_try <= sqlc.arg(now)
ORDER BY next_try, id
LIMIT sqlc.arg('limit');

-- name: DeleteOutbox :execrows
DELETE FROM outbox WHERE id = ANY (sqlc.arg(ids)::text[]);

-- name: DeferOutbox :execrows
UPDATE outbox
SET attempts = attempts + 1, next_try = $1, last_error = $2
WHERE id = $3;

-- name: OutboxSize :one
SELECT count(*) FROM outbox;
