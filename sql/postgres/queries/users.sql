-- name: GetUser :one
SELECT * FROM users WHERE id = $1;

-- name: GetUserByEmail :one
SELECT * FROM users WHERE email = $1;

-- name: ListUserIDs :many
SELECT id FROM users
WHERE id > sqlc.arg(after)
ORDER BY id
LIMIT sqlc.arg(lim);

-- name: CreateUser :exec
INSERT INTO users (id, email, nickname, password_hash, role, premium_until, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8);

-- name: UpdateUser :execrows
UPDATE users
SET nickname = $2, password_hash = $3, role = $4, premium_until = $5, updated_at = $6
WHERE id = $1;
