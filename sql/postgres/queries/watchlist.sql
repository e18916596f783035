-- name: AddWatch :exec
INSERT INTO watchlist (user_id, stock_code, created_at) VALUES ($1, $2, $3);

-- name: RemoveWatch :execrows
DELETE FROM watchlist WHERE user_id = $1 AND stock_code = $2;

-- name: ListWatchlist :many
SELECT * FROM watchlist WHERE user_id = $1 ORDER BY created_at, stock_code;
