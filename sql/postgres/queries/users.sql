-- name: GetUser :one
SELECT * FROM users WHERE id = $1;

-- name: GetUserByEmail :one
SELECT * FROM users WHERE email = $1;

-- name: ListUserIDs :many
SELECT id FROM users
WHERE id > sqlc.arg(after)
ORDER BY id
LIMIT sqlc.arg('limit');

-- name: CreateUser :exec
INSERT INTO users (id, email, nickname, password_hash, role, premium_until, created_at, updated_at, public)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9);

-- name: UpdateUser :execrows
UPDATE users
SET nickname = $1, password_hash = $2, role = $3, premium_until = $4, updated_at = $5, public = $6
WHERE id = $7;
