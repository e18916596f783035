package sqlitedb

// PlannedQueries holds the text of the queries whose plans the adapter's
// tests check with EXPLAIN QUERY PLAN: the ones that must stay index range
// scans however many orders rest. This file is written by hand; sqlc
// leaves it alone.
var PlannedQueries = map[string]string{
	"ListBookOrders":     listBookOrders,
	"ListExpiringOrders": listExpiringOrders,
	"ListOrders":         listOrders,
	"ListOpenOrders":     listOpenOrders,
}
