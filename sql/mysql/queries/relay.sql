-- name: ClaimOutbox :many
-- Rows another relay is claiming right now are skipped, not waited for
-- (MySQL 8, MariaDB 10.6 and later).
SELECT * FROM outbox
WHERE next_try <= sqlc.arg(now)
ORDER BY next_try, id
LIMIT ?
FOR UPDATE SKIP LOCKED;

-- name: LeaseOutbox :exec
UPDATE outbox SET next_try = sqlc.arg(leased_until), claimed_by = sqlc.arg(owner)
WHERE id IN (sqlc.slice(ids));
