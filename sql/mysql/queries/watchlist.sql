-- name: AddWatch :exec
INSERT INTO watchlist (user_id, stock_code, created_at) VALUES (?, ?, ?);

-- name: RemoveWatch :execrows
DELETE FROM watchlist WHERE user_id = ? AND stock_code = ?;

-- name: ListWatchlist :many
SELECT * FROM watchlist WHERE user_id = ? ORDER BY created_at, stock_code;
