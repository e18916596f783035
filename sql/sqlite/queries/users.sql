-- name: GetUser :one
SELECT * FROM users WHERE id = ?;

-- name: GetUserByEmail :one
SELECT * FROM users WHERE email = ?;

-- name: ListUserIDs :many
SELECT id FROM users
WHERE id > sqlc.arg(after)
ORDER BY id
LIMIT CAST(sqlc.arg('limit') AS INTEGER);

-- name: CreateUser :exec
INSERT INTO users (id, email, nickname, password_hash, role, premium_until, created_at, updated_at, public)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: UpdateUser :execrows
UPDATE users
SET nickname = ?, password_hash = ?, role = ?, premium_until = ?, updated_at = ?, public = ?
WHERE id = ?;
