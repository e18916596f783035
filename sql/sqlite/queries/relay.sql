-- name: ClaimOutbox :many
-- SQLite has one writer: the claim's transaction excludes every other.
SELECT * FROM outbox
WHERE next_try <= sqlc.arg(now)
ORDER BY next_try, id
LIMIT CAST(sqlc.arg('limit') AS INTEGER);

-- name: LeaseOutbox :exec
UPDATE outbox SET next_try = sqlc.arg(leased_until), claimed_by = sqlc.arg(owner)
WHERE id IN (sqlc.slice(ids));
