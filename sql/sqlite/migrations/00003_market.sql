-- Real market data and the market day. A listing carries its best quotes
-- and the volume traded since the last roll; every recorded trade keeps its
-- volume and quotes (stock_prices is the trade tape). Daily bars hold the
-- closed days (written by the market day and by imports); minute bars are
-- built from the tape. market_days records which Seoul dates were rolled
-- and closed, so the roll runs once per date. feed_leases lets several
-- feed processes share the listings, each listing driven by one holder.
-- Dividends are paid to the holders recorded at the close of the record
-- date, once per account.

-- +goose Up
ALTER TABLE stocks ADD COLUMN bid TEXT;
ALTER TABLE stocks ADD COLUMN ask TEXT;
ALTER TABLE stocks ADD COLUMN volume INTEGER NOT NULL DEFAULT 0;

ALTER TABLE stock_prices ADD COLUMN volume INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stock_prices ADD COLUMN bid TEXT;
ALTER TABLE stock_prices ADD COLUMN ask TEXT;

CREATE TABLE daily_bars (
    stock_code TEXT NOT NULL,
    day        TEXT NOT NULL,
    open       TEXT NOT NULL,
    high       TEXT NOT NULL,
    low        TEXT NOT NULL,
    close      TEXT NOT NULL,
    volume     INTEGER NOT NULL,
    PRIMARY KEY (stock_code, day)
) WITHOUT ROWID;

CREATE TABLE market_days (
    day       TEXT PRIMARY KEY,
    rolled_at DATETIME NOT NULL,
    closed_at DATETIME
) WITHOUT ROWID;

CREATE TABLE feed_leases (
    name       TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    expires_at DATETIME NOT NULL
) WITHOUT ROWID;

CREATE TABLE dividends (
    id          TEXT PRIMARY KEY,
    stock_code  TEXT NOT NULL,
    record_date TEXT NOT NULL,
    pay_date    TEXT NOT NULL,
    per_share   TEXT NOT NULL,
    recorded_at DATETIME,
    paid_at     DATETIME,
    created_at  DATETIME NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX dividends_code_record ON dividends (stock_code, record_date);

CREATE TABLE dividend_holders (
    dividend_id TEXT NOT NULL,
    account_id  TEXT NOT NULL,
    quantity    INTEGER NOT NULL,
    paid_at     DATETIME,
    PRIMARY KEY (dividend_id, account_id)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE dividend_holders;
DROP TABLE dividends;
DROP TABLE feed_leases;
DROP TABLE market_days;
DROP TABLE daily_bars;
ALTER TABLE stock_prices DROP COLUMN ask;
ALTER TABLE stock_prices DROP COLUMN bid;
ALTER TABLE stock_prices DROP COLUMN volume;
ALTER TABLE stocks DROP COLUMN volume;
ALTER TABLE stocks DROP COLUMN ask;
ALTER TABLE stocks DROP COLUMN bid;
