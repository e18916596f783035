-- name: CreateSession :exec
INSERT INTO sessions (id, family_id, user_id, created_at, expires_at, used_at, revoked_at)
VALUES (sqlc.arg(id), sqlc.arg(family_id), sqlc.arg(user_id), sqlc.arg(created_at), sqlc.arg(expires_at), NULL, NULL);

-- name: GetSession :one
SELECT * FROM sessions WHERE id = sqlc.arg(id);

-- name: UseSession :execrows
UPDATE sessions SET used_at = sqlc.arg(used_at)
WHERE id = sqlc.arg(id) AND used_at IS NULL AND revoked_at IS NULL;

-- name: RevokeSessionFamily :execrows
UPDATE sessions SET revoked_at = sqlc.arg(revoked_at)
WHERE family_id = sqlc.arg(family_id) AND revoked_at IS NULL;

-- name: RevokeUserSessions :execrows
UPDATE sessions SET revoked_at = sqlc.arg(revoked_at)
WHERE user_id = sqlc.arg(user_id) AND family_id <> sqlc.arg(keep_family_id) AND revoked_at IS NULL;

-- name: CreateStreamTicket :exec
INSERT INTO stream_tickets (id, user_id, expires_at, used_at)
VALUES (sqlc.arg(id), sqlc.arg(user_id), sqlc.arg(expires_at), NULL);

-- name: UseStreamTicket :execrows
UPDATE stream_tickets SET used_at = sqlc.arg(used_at)
WHERE id = sqlc.arg(id) AND user_id = sqlc.arg(user_id) AND used_at IS NULL AND expires_at > sqlc.arg(now);

-- name: DeleteStreamTickets :execrows
DELETE FROM stream_tickets WHERE expires_at < sqlc.arg(before);

-- name: ListOrdersChanged :many
SELECT * FROM orders
WHERE updated_at >= sqlc.arg(since)
ORDER BY updated_at, id
LIMIT sqlc.arg('limit');

-- name: ListAccountOrdersChanged :many
SELECT * FROM orders
WHERE account_id = sqlc.arg(account_id) AND updated_at >= sqlc.arg(since)
ORDER BY updated_at, id
LIMIT sqlc.arg('limit');

-- name: ListStocksChanged :many
SELECT * FROM stocks
WHERE updated_at >= sqlc.arg(since)
ORDER BY updated_at, code
LIMIT sqlc.arg('limit');

-- name: ListAccountsChanged :many
SELECT * FROM accounts
WHERE updated_at >= sqlc.arg(since)
ORDER BY updated_at, id
LIMIT sqlc.arg('limit');
