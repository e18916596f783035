-- name: CreateContest :exec
INSERT INTO contests (id, name, starts_at, ends_at, initial_cash, listings, final_at, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8);

-- name: GetContest :one
SELECT * FROM contests WHERE id = $1;

-- Newest end first.
-- name: ListContests :many
SELECT * FROM contests ORDER BY ends_at DESC, id DESC LIMIT sqlc.arg('limit');

-- FinalizeContest sets final_at once: a second call changes nothing.
-- name: FinalizeContest :execrows
UPDATE contests SET final_at = sqlc.arg(final_at) WHERE id = sqlc.arg(id) AND final_at IS NULL;

-- name: ListContestAccountIDs :many
SELECT id FROM accounts WHERE contest_id = sqlc.arg(contest_id) ORDER BY id;
