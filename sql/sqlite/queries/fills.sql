-- ListBookOrders reads one side of one book of a listing in priority
-- order, best key first, then the oldest place in the queue, as far as
-- max_key: a range scan of orders_book that stops after limit rows. Keys
-- are negated where that makes "reaches the trade" an upper bound (buys in
-- the limit book, sells in the stop book), so one statement serves every
-- side of both books.
--
-- Every LIMIT in SQLite's queries is written CAST(? AS INTEGER): SQLite
-- plans a bare `LIMIT ?` for the value bound, which makes it prepare the
-- statement again each time the value is bound, so a probe that costs
-- microseconds cost a fresh parse and plan (the cast keeps one plan).
-- name: ListBookOrders :many
SELECT * FROM orders
WHERE stock_code = sqlc.arg(stock_code) AND book = sqlc.arg(book) AND side = sqlc.arg(side)
  AND book_key <= sqlc.arg(max_key)
ORDER BY book_key, priority_at, id
LIMIT CAST(sqlc.arg('limit') AS INTEGER);
