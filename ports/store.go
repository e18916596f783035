package ports

import (
	"context"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
)

// Store is the database. Reads outside a transaction go through Reader;
// every write happens inside WithinTx.
type Store interface {
	Reader
	Outbox
	Performance
	Rankings
	// WithinTx runs fn in one transaction and commits when fn returns nil.
	// The adapter owns begin, commit, rollback and the retry of
	// serialization failures and deadlocks, so fn may run more than once
	// and must not have effects outside tx.
	WithinTx(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error
	// Ping checks the connection.
	Ping(ctx context.Context) error
	// Info describes the engine for `stocking db status`.
	Info(ctx context.Context) (StoreInfo, error)
	Close() error
}

// StoreInfo describes a database.
type StoreInfo struct {
	Engine     string // sqlite, postgres or mysql
	Version    string // server version
	Migrations []Migration
}

// Migration is one schema version and whether it is applied.
type Migration struct {
	Version   int64
	Name      string
	Applied   bool
	AppliedAt time.Time
}

// OrderFilter selects an account's orders, newest first.
type OrderFilter struct {
	AccountID string
	Status    domain.OrderStatus // "" = any
	StockCode string             // "" = any
	Side      domain.Side        // "" = any
	// Before is a cursor: only orders with a smaller id.
	Before string
	Limit  int
}

// Position is a holding with its listing, read together.
type Position struct {
	Holding domain.Holding
	Stock   domain.Stock
}

// OrderRows are the rows an order placement locks and reads first.
type OrderRows struct {
	Account domain.Account
	// Listed is false when no listing has the code.
	Listed bool
	Stock  domain.Stock
	// Held is false when the account holds none of the listing.
	Held    bool
	Holding domain.Holding
}

// LedgerFilter selects an account's ledger rows, newest first.
type LedgerFilter struct {
	AccountID string
	Type      domain.TxType
	StockCode string
	From, To  time.Time // zero = unbounded; To is exclusive
	Before    string
	Limit     int
}

// Reader holds the queries that take no locks.
type Reader interface {
	MarketReader
	SessionReader
	ChangeReader

	BookReader
	// GetUser returns domain.ErrNotFound for an unknown id.
	GetUser(ctx context.Context, id string) (domain.User, error)
	// GetUserByEmail matches the e-mail exactly (callers lower-case it).
	GetUserByEmail(ctx context.Context, email string) (domain.User, error)
	// ListUserIDs pages through every user id in ascending order.
	ListUserIDs(ctx context.Context, after string, limit int) ([]string, error)

	// GetAccount returns domain.ErrNotFound for an unknown id. A user's
	// personal account has the user's id.
	GetAccount(ctx context.Context, id string) (domain.Account, error)
	// ListAccounts returns a user's accounts: the personal one first, then
	// the contest accounts in the order they were opened.
	ListAccounts(ctx context.Context, userID string) ([]domain.Account, error)
	// ListAccountIDs pages through every account id in ascending order.
	ListAccountIDs(ctx context.Context, after string, limit int) ([]string, error)

	GetStock(ctx context.Context, code string) (domain.Stock, error)
	// ListStocks returns every listing ordered by code.
	ListStocks(ctx context.Context) ([]domain.Stock, error)
	// ListPrices returns a listing's recorded prices at or after since,
	// oldest first, at most limit of the newest ones.
	ListPrices(ctx context.Context, code string, since time.Time, limit int) ([]domain.PricePoint, error)

	// GetHolding returns domain.ErrNotFound when the account holds none.
	GetHolding(ctx context.Context, accountID, code string) (domain.Holding, error)
	// ListHoldings returns the account's holdings ordered by stock code.
	ListHoldings(ctx context.Context, accountID string) ([]domain.Holding, error)
	// ListPositions returns the account's holdings of at least one share,
	// each with its listing as of the same read, ordered by stock code.
	ListPositions(ctx context.Context, accountID string) ([]Position, error)

	// GetOrder returns the order without executions.
	GetOrder(ctx context.Context, id string) (domain.Order, error)
	// GetOrderByClientID finds a user's order by its client_order_id,
	// which is unique per user across all of the user's accounts.
	GetOrderByClientID(ctx context.Context, userID, clientOrderID string) (domain.Order, error)
	ListOrders(ctx context.Context, f OrderFilter) ([]domain.Order, error)
	// ListExecutions returns the executions of the given orders, oldest
	// first.
	ListExecutions(ctx context.Context, orderIDs []string) ([]domain.Execution, error)
	// ListAccountExecutions pages through an account's executions in id
	// order.
	ListAccountExecutions(ctx context.Context, accountID, after string, limit int) ([]domain.Execution, error)
	// ListCrossingOrders returns up to limit open orders of code's limit
	// book that a trade at price reaches: the buys first, then the sells,
	// each in the order of ListBookOrders.
	ListCrossingOrders(ctx context.Context, code string, price decimal.Decimal, limit int) ([]domain.Order, error)
	// ListExpiringOrders returns up to limit open orders (PENDING or
	// PARTIALLY_FILLED) whose expiry is at or before t.
	ListExpiringOrders(ctx context.Context, t time.Time, limit int) ([]domain.Order, error)
	// ListOpenOrders returns an account's open orders, partially filled
	// ones included.
	ListOpenOrders(ctx context.Context, accountID string) ([]domain.Order, error)

	ListLedger(ctx context.Context, f LedgerFilter) ([]domain.LedgerEntry, error)

	ListWatchlist(ctx context.Context, userID string) ([]domain.WatchItem, error)

	GetPayment(ctx context.Context, id string) (domain.Payment, error)
	// ListPayments returns a user's payments, newest first.
	ListPayments(ctx context.Context, userID, before string, limit int) ([]domain.Payment, error)
}

// Tx is a transaction: Reader plus locking reads and writes. Locking reads
// take row locks (SELECT ... FOR UPDATE where the engine has them); callers
// lock in one fixed order, account, then holding, then order, so that two
// transactions never wait on each other in a cycle.
type Tx interface {
	Reader
	MarketWriter
	SessionWriter

	LockAccount(ctx context.Context, id string) (domain.Account, error)
	// LockHolding returns domain.ErrNotFound when the account holds none.
	LockHolding(ctx context.Context, accountID, code string) (domain.Holding, error)
	// LockOrderRows is what an order placement reads first, in this
	// order: LockAccount, GetStock and LockHolding, sent together where
	// the engine can. An account that does not exist is
	// domain.ErrNotFound; a listing or holding that does not is said in
	// OrderRows.
	LockOrderRows(ctx context.Context, accountID, code string) (OrderRows, error)
	LockOrder(ctx context.Context, id string) (domain.Order, error)
	LockPayment(ctx context.Context, id string) (domain.Payment, error)

	// CreateUser returns domain.ErrDuplicate when the e-mail is taken.
	CreateUser(ctx context.Context, u domain.User) error
	// UpdateUser saves nickname, password hash, role, premium_until and
	// public.
	UpdateUser(ctx context.Context, u domain.User) error

	// CreateAccount opens an account; a user has at most one personal
	// account and one per contest (domain.ErrDuplicate otherwise).
	CreateAccount(ctx context.Context, a domain.Account) error
	// SaveAccount writes every mutable field of the account.
	SaveAccount(ctx context.Context, a domain.Account) error

	// SaveHolding inserts or updates the holding, and deletes it when both
	// its quantity and reserved quantity are zero.
	SaveHolding(ctx context.Context, h domain.Holding) error

	// CreateOrder returns domain.ErrDuplicate when the user already has an
	// order with the same non-empty client_order_id.
	CreateOrder(ctx context.Context, o domain.Order) error
	// UpdateOrder saves the order's mutable fields only if its stored
	// status is still from, and reports whether it did. This conditional
	// update is what decides a race between a fill, a cancel and an expiry.
	UpdateOrder(ctx context.Context, o domain.Order, from domain.OrderStatus) (bool, error)
	CreateExecution(ctx context.Context, e domain.Execution) error

	AppendLedger(ctx context.Context, e domain.LedgerEntry) error

	// UpsertStock creates or updates a listing.
	UpsertStock(ctx context.Context, s domain.Stock) error
	// RecordPrice sets a listing's last price and appends it to its
	// history.
	RecordPrice(ctx context.Context, code string, price decimal.Decimal, at time.Time) error

	// AddWatch returns domain.ErrDuplicate when the entry exists.
	AddWatch(ctx context.Context, w domain.WatchItem) error
	// RemoveWatch reports whether an entry was removed.
	RemoveWatch(ctx context.Context, userID, code string) (bool, error)

	CreatePayment(ctx context.Context, p domain.Payment) error
	// UpdatePayment saves the payment only if its stored status is still
	// from, and reports whether it did.
	UpdatePayment(ctx context.Context, p domain.Payment, from domain.PaymentStatus) (bool, error)

	// Enqueue adds a message to the outbox in the same transaction as the
	// change it announces.
	Enqueue(ctx context.Context, m OutboxMessage) error
}

// OutboxMessage is a side effect on the workflow engine (start a workflow,
// signal it) recorded in the same transaction as the change that causes
// it, and delivered at least once by a relay.
type OutboxMessage struct {
	ID        string
	Kind      string // what to do, e.g. "order.start", "order.filled"
	Key       string // the business id it concerns, e.g. an order id
	Payload   []byte
	Attempts  int
	NextTry   time.Time
	LastError string
	CreatedAt time.Time
}

// Outbox is the relay's view of the outbox.
type Outbox interface {
	// DueOutbox returns up to limit messages whose next try is at or
	// before now, oldest first, without claiming them.
	DueOutbox(ctx context.Context, now time.Time, limit int) ([]OutboxMessage, error)
	// ClaimOutbox takes up to limit messages due at now, oldest first,
	// for owner until the given time: their next try moves to until, so
	// no other relay takes them before the claim runs out (its relay
	// died, or is still delivering past its lease). Messages another
	// claim holds at that moment are skipped, never waited for, so
	// concurrent relays take disjoint batches.
	ClaimOutbox(ctx context.Context, now, until time.Time, owner string, limit int) ([]OutboxMessage, error)
	// DeleteOutbox removes delivered messages and reports how many it
	// found: fewer than asked means another relay delivered some too.
	DeleteOutbox(ctx context.Context, ids []string) (int64, error)
	// DeferOutbox records a failed delivery and when to try again.
	DeferOutbox(ctx context.Context, id string, next time.Time, lastError string) error
	// OutboxSize counts undelivered messages (for /readyz and metrics).
	OutboxSize(ctx context.Context) (int64, error)
}

// bulkKey marks a context as a bulk operation's.
type bulkKey struct{}

// WithBulkTimeout marks ctx as a bulk operation's (an end-of-day step over
// every account or order, a ranking refresh): the store bounds each of its
// statements and transaction attempts by d instead of the per-request bound
// (DB_TIMEOUT), which such work may rightly exceed on a large database.
// Requests never carry it, so an outage still answers them within
// DB_TIMEOUT.
func WithBulkTimeout(ctx context.Context, d time.Duration) context.Context {
	if d <= 0 {
		return ctx
	}
	return context.WithValue(ctx, bulkKey{}, d)
}

// BulkTimeout returns the bound WithBulkTimeout put on ctx.
func BulkTimeout(ctx context.Context) (time.Duration, bool) {
	d, ok := ctx.Value(bulkKey{}).(time.Duration)
	return d, ok
}

// txKey names the owner of the rows a transaction locks.
type txKey struct{}

// WithTxKey names the owner of the rows the transactions run under ctx
// lock: the user whose account (and holdings, orders, executions and
// ledger) they change, and nobody else's. An engine that groups
// concurrent transactions into one commit keeps the transactions of one
// key in one group lane, so that groups never wait on each other for
// those rows; transactions without a key run on their own.
func WithTxKey(ctx context.Context, key string) context.Context {
	if key == "" {
		return ctx
	}
	return context.WithValue(ctx, txKey{}, key)
}

// TxKey returns the key WithTxKey put on ctx, or "".
func TxKey(ctx context.Context) string {
	k, _ := ctx.Value(txKey{}).(string)
	return k
}
