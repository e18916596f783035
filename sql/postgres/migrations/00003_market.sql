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
ALTER TABLE stocks
    ADD COLUMN bid    NUMERIC(24, 4),
    ADD COLUMN ask    NUMERIC(24, 4),
    ADD COLUMN volume BIGINT NOT NULL DEFAULT 0;

ALTER TABLE stock_prices
    ADD COLUMN volume BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN bid    NUMERIC(24, 4),
    ADD COLUMN ask    NUMERIC(24, 4);

CREATE TABLE daily_bars (
    stock_code TEXT COLLATE "C" NOT NULL,
    day        TEXT COLLATE "C" NOT NULL,
    open       NUMERIC(24, 4) NOT NULL,
    high       NUMERIC(24, 4) NOT NULL,
    low        NUMERIC(24, 4) NOT NULL,
    close      NUMERIC(24, 4) NOT NULL,
    volume     BIGINT NOT NULL,
    PRIMARY KEY (stock_code, day)
);

CREATE TABLE market_days (
    day       TEXT COLLATE "C" PRIMARY KEY,
    rolled_at TIMESTAMPTZ NOT NULL,
    closed_at TIMESTAMPTZ
);

CREATE TABLE feed_leases (
    name       TEXT COLLATE "C" PRIMARY KEY,
    owner      TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE dividends (
    id          TEXT COLLATE "C" PRIMARY KEY,
    stock_code  TEXT COLLATE "C" NOT NULL,
    record_date TEXT COLLATE "C" NOT NULL,
    pay_date    TEXT COLLATE "C" NOT NULL,
    per_share   NUMERIC(24, 4) NOT NULL,
    recorded_at TIMESTAMPTZ,
    paid_at     TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX dividends_code_record ON dividends (stock_code, record_date);

CREATE TABLE dividend_holders (
    dividend_id TEXT COLLATE "C" NOT NULL,
    account_id  TEXT COLLATE "C" NOT NULL,
    quantity    BIGINT NOT NULL,
    paid_at     TIMESTAMPTZ,
    PRIMARY KEY (dividend_id, account_id)
);

-- +goose Down
DROP TABLE dividend_holders;
DROP TABLE dividends;
DROP TABLE feed_leases;
DROP TABLE market_days;
DROP TABLE daily_bars;
ALTER TABLE stock_prices DROP COLUMN ask, DROP COLUMN bid, DROP COLUMN volume;
ALTER TABLE stocks DROP COLUMN volume, DROP COLUMN ask, DROP COLUMN bid;
