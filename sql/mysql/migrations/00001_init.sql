-- MySQL 8 / MariaDB 10.11 schema, the SQLite schema in InnoDB terms.
--
-- Money is DECIMAL(24,4): exact, four places (domain.MoneyScale) and room
-- for twenty integer digits. Counts and quantities are BIGINT. Times are
-- DATETIME(6) holding UTC: the adapter connects with loc=UTC, and DATETIME,
-- unlike TIMESTAMP, is never shifted by the session time zone. Identifiers
-- are UUIDv7 text made by the application (no AUTO_INCREMENT to read back,
-- and MySQL has no RETURNING), except for the price history, whose ids
-- nothing reads.
--
-- Every text column uses utf8mb4_bin: identifiers and cursors compare
-- byte by byte, as Go's strings.Compare and the other engines do (the
-- matcher sorts lock order by id in Go), e-mail addresses match exactly,
-- and a client's non-ASCII cursor or code is simply a value that matches
-- nothing, where an ascii column would fail the query with "illegal mix of
-- collations". InnoDB stores VARCHAR as the bytes it holds, so ASCII ids
-- cost one byte a character all the same.
--
-- Foreign keys point at users and orders only. An InnoDB foreign key check
-- takes a shared lock on the parent row until commit, and a listing's row
-- in stocks is the hottest row there is: every price tick updates it while
-- every order on that listing would hold it shared. Listings are never
-- deleted and the service reads the listing before it writes anything that
-- names it.

-- +goose Up
CREATE TABLE users (
    id            VARCHAR(64) NOT NULL,
    email         VARCHAR(320) NOT NULL,
    nickname      VARCHAR(100) NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    role          VARCHAR(16) NOT NULL DEFAULT 'user',
    premium_until DATETIME(6) NULL,
    created_at    DATETIME(6) NOT NULL,
    updated_at    DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY users_email (email)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- ledger_seq counts the account's ledger rows; each new row takes the next
-- number, and the unique (user_id, seq) key on ledger turns a lost update
-- of the account into an error instead of a silent double spend.
CREATE TABLE accounts (
    user_id           VARCHAR(64) NOT NULL,
    cash              DECIMAL(24, 4) NOT NULL,
    reserved_cash     DECIMAL(24, 4) NOT NULL,
    total_deposits    DECIMAL(24, 4) NOT NULL,
    total_withdrawals DECIMAL(24, 4) NOT NULL,
    realized_pnl      DECIMAL(24, 4) NOT NULL,
    total_commission  DECIMAL(24, 4) NOT NULL,
    total_tax         DECIMAL(24, 4) NOT NULL,
    buy_count         BIGINT NOT NULL DEFAULT 0,
    sell_count        BIGINT NOT NULL DEFAULT 0,
    win_count         BIGINT NOT NULL DEFAULT 0,
    loss_count        BIGINT NOT NULL DEFAULT 0,
    ledger_seq        BIGINT NOT NULL DEFAULT 0,
    updated_at        DATETIME(6) NOT NULL,
    PRIMARY KEY (user_id),
    CONSTRAINT fk_accounts_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE stocks (
    code       VARCHAR(16) NOT NULL,
    name       VARCHAR(200) NOT NULL,
    name_en    VARCHAR(200) NOT NULL,
    market     VARCHAR(16) NOT NULL,
    price      DECIMAL(24, 4) NOT NULL,
    prev_close DECIMAL(24, 4) NOT NULL,
    active     BOOLEAN NOT NULL DEFAULT TRUE,
    updated_at DATETIME(6) NOT NULL,
    PRIMARY KEY (code)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Rows are only appended, and read newest first per listing through
-- stock_prices_code_time, whose entries end with the primary key.
CREATE TABLE stock_prices (
    id          BIGINT NOT NULL AUTO_INCREMENT,
    stock_code  VARCHAR(16) NOT NULL,
    price       DECIMAL(24, 4) NOT NULL,
    recorded_at DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    KEY stock_prices_code_time (stock_code, recorded_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE holdings (
    user_id           VARCHAR(64) NOT NULL,
    stock_code        VARCHAR(16) NOT NULL,
    quantity          BIGINT NOT NULL,
    reserved_quantity BIGINT NOT NULL DEFAULT 0,
    average_price     DECIMAL(24, 4) NOT NULL,
    created_at        DATETIME(6) NOT NULL,
    updated_at        DATETIME(6) NOT NULL,
    PRIMARY KEY (user_id, stock_code),
    CONSTRAINT fk_holdings_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- price_key is the matcher's priority key, an integer of whole won: the
-- limit price for a sell and its negation for a buy, so that ascending
-- order is best price first on both sides and one ascending index serves
-- both (MariaDB and MySQL alike, with no descending index and no filesort).
-- MySQL has no partial indexes, so the status leads the indexes the
-- matcher and the expiry sweep read: all resting orders of a listing and
-- side sit in one contiguous range of orders_resting, in priority order
-- with the id (which InnoDB appends to every secondary index) breaking
-- ties, and the PENDING orders by expiry in one range of orders_expiry.
-- Filled and cancelled orders have entries too, in ranges those queries
-- never visit.
CREATE TABLE orders (
    id                 VARCHAR(64) NOT NULL,
    user_id            VARCHAR(64) NOT NULL,
    client_order_id    VARCHAR(64) NULL,
    stock_code         VARCHAR(16) NOT NULL,
    side               VARCHAR(8) NOT NULL,
    type               VARCHAR(16) NOT NULL,
    time_in_force      VARCHAR(8) NOT NULL,
    quantity           BIGINT NOT NULL,
    limit_price        DECIMAL(24, 4) NULL,
    price_key          BIGINT NULL,
    status             VARCHAR(16) NOT NULL,
    filled_quantity    BIGINT NOT NULL DEFAULT 0,
    average_fill_price DECIMAL(24, 4) NULL,
    reserved_amount    DECIMAL(24, 4) NOT NULL,
    commission         DECIMAL(24, 4) NOT NULL,
    tax                DECIMAL(24, 4) NOT NULL,
    expires_at         DATETIME(6) NULL,
    reason             VARCHAR(1024) NOT NULL DEFAULT '',
    created_at         DATETIME(6) NOT NULL,
    updated_at         DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    -- NULL client_order_ids never collide in a unique index.
    UNIQUE KEY orders_client_order_id (user_id, client_order_id),
    KEY orders_user (user_id, id),
    KEY orders_resting (status, stock_code, side, price_key),
    KEY orders_expiry (status, expires_at),
    CONSTRAINT fk_orders_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE executions (
    id           VARCHAR(64) NOT NULL,
    order_id     VARCHAR(64) NOT NULL,
    user_id      VARCHAR(64) NOT NULL,
    stock_code   VARCHAR(16) NOT NULL,
    side         VARCHAR(8) NOT NULL,
    quantity     BIGINT NOT NULL,
    price        DECIMAL(24, 4) NOT NULL,
    amount       DECIMAL(24, 4) NOT NULL,
    commission   DECIMAL(24, 4) NOT NULL,
    tax          DECIMAL(24, 4) NOT NULL,
    realized_pnl DECIMAL(24, 4) NOT NULL,
    executed_at  DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    KEY executions_order (order_id),
    KEY executions_user (user_id, id),
    CONSTRAINT fk_executions_order FOREIGN KEY (order_id) REFERENCES orders (id),
    CONSTRAINT fk_executions_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE ledger (
    id                  VARCHAR(64) NOT NULL,
    user_id             VARCHAR(64) NOT NULL,
    seq                 BIGINT NOT NULL,
    type                VARCHAR(16) NOT NULL,
    stock_code          VARCHAR(16) NULL,
    order_id            VARCHAR(64) NULL,
    payment_id          VARCHAR(64) NULL,
    quantity            BIGINT NOT NULL DEFAULT 0,
    price               DECIMAL(24, 4) NULL,
    amount              DECIMAL(24, 4) NOT NULL,
    commission          DECIMAL(24, 4) NOT NULL,
    tax                 DECIMAL(24, 4) NOT NULL,
    cash_balance_before DECIMAL(24, 4) NOT NULL,
    cash_balance_after  DECIMAL(24, 4) NOT NULL,
    memo                VARCHAR(1024) NOT NULL DEFAULT '',
    created_at          DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    KEY ledger_user (user_id, id),
    UNIQUE KEY ledger_user_seq (user_id, seq),
    -- At most one ledger row per payment: a paid payment is credited once.
    -- Trades carry no payment id, and NULLs never collide.
    UNIQUE KEY ledger_payment (payment_id),
    CONSTRAINT fk_ledger_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE watchlist (
    user_id    VARCHAR(64) NOT NULL,
    stock_code VARCHAR(16) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (user_id, stock_code),
    CONSTRAINT fk_watchlist_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE payments (
    id             VARCHAR(64) NOT NULL,
    user_id        VARCHAR(64) NOT NULL,
    product        VARCHAR(32) NOT NULL,
    order_name     VARCHAR(255) NOT NULL,
    amount         DECIMAL(24, 4) NOT NULL,
    currency       VARCHAR(8) NOT NULL,
    status         VARCHAR(16) NOT NULL,
    credit_amount  DECIMAL(24, 4) NOT NULL,
    premium_days   BIGINT NOT NULL DEFAULT 0,
    paid_amount    DECIMAL(24, 4) NULL,
    paid_currency  VARCHAR(8) NOT NULL DEFAULT '',
    transaction_id VARCHAR(255) NOT NULL DEFAULT '',
    reason         VARCHAR(1024) NOT NULL DEFAULT '',
    fulfilled_at   DATETIME(6) NULL,
    created_at     DATETIME(6) NOT NULL,
    updated_at     DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    KEY payments_user (user_id, id),
    CONSTRAINT fk_payments_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE outbox (
    id         VARCHAR(64) NOT NULL,
    kind       VARCHAR(64) NOT NULL,
    msg_key    VARCHAR(64) NOT NULL,
    -- NOT NULL, so that sqlc maps it to []byte; no payload is stored empty.
    payload    BLOB NOT NULL,
    attempts   BIGINT NOT NULL DEFAULT 0,
    next_try   DATETIME(6) NOT NULL,
    last_error VARCHAR(2048) NOT NULL DEFAULT '',
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    KEY outbox_next_try (next_try)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- +goose Down
DROP TABLE outbox;
DROP TABLE payments;
DROP TABLE watchlist;
DROP TABLE ledger;
DROP TABLE executions;
DROP TABLE orders;
DROP TABLE holdings;
DROP TABLE stock_prices;
DROP TABLE stocks;
DROP TABLE accounts;
DROP TABLE users;
