// Package sqlstore is the store core that the SQLite, PostgreSQL and MySQL
// adapters share: one implementation of ports.Store, and below it one thin
// driver per engine.
//
// The core owns everything that does not depend on the engine: the
// mapping between rows and domain types, the parameters of every write,
// the reads, the retry of transactions that lost a race, the deadline of
// each transaction attempt and read, the recognition of an unreachable
// database (domain.ErrUnavailable), migrations and `db status`. It runs
// each engine's sqlc-generated statements through sqldb.Queries: the three
// query sets agree statement for statement, so sqlc generates identical row
// and parameter types for them, and a generated bridge in each engine's
// package converts between its types and the shared ones. An engine package
// (sqlite, postgres, mysql) holds only what really differs: opening and
// configuring its connections, and how one transaction runs on them
// (Driver and TxConn) — SQLite's single writer with group commit,
// PostgreSQL's and MySQL's pipelining of writes, their row locks — and the
// meaning of its driver's errors (Errors.Classify). Engines never import one
// another; each imports only this core.
package sqlstore
