-- name: CreateContest :exec
INSERT INTO contests (id, name, starts_at, ends_at, initial_cash, listings, final_at, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?);

-- name: GetContest :one
SELECT * FROM contests WHERE id = ?;

-- Newest end first.
-- name: ListContests :many
SELECT * FROM contests ORDER BY ends_at DESC, id DESC LIMIT CAST(sqlc.arg('limit') AS INTEGER);

-- FinalizeContest sets final_at once: a second call changes nothing.
-- name: FinalizeContest :execrows
UPDATE contests SET final_at = sqlc.arg(final_at) WHERE id = sqlc.arg(id) AND final_at IS NULL;

-- name: ListContestAccountIDs :many
SELECT id FROM accounts WHERE contest_id = sqlc.arg(contest_id) ORDER BY id;
