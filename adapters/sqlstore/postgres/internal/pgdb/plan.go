package pgdb

// PlannedQueries holds the text of the queries whose plans the adapter's
// tests check with EXPLAIN: the ones that must stay index scans however
// many orders rest. This file is written by hand; sqlc leaves it alone.
var PlannedQueries = map[string]string{
	"ListBookOrders":     listBookOrders,
	"ListExpiringOrders": listExpiringOrders,
}

// CustomPlanned holds the queries that select a varying number of rows
// through a non-unique index. The adapter has PostgreSQL plan them for
// their actual parameters on every call instead of reusing a cached
// generic plan: a generic plan is fixed after a few calls, and one fixed
// while a table is still small is a sequential scan that PostgreSQL keeps
// using as the table grows, until the next ANALYZE. Lookups by a unique
// key are cheap to plan either way and keep their cached plans.
var CustomPlanned = map[string]bool{
	listExecutions:        true,
	listAccountExecutions: true,
	listHoldings:          true,
	listLedger:            true,
	listBookOrders:        true,
	listExpiringOrders:    true,
	listOpenOrders:        true,
	listOrders:            true,
	dueOutbox:             true,
	claimOutbox:           true,
	listPayments:          true,
	listPricesDesc:        true,
	listWatchlist:         true,
}
