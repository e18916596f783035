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
    ADD COLUMN bid    DECIMAL(24, 4) NULL,
    ADD COLUMN ask    DECIMAL(24, 4) NULL,
    ADD COLUMN volume BIGINT NOT NULL DEFAULT 0;

ALTER TABLE stock_prices
    ADD COLUMN volume BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN bid    DECIMAL(24, 4) NULL,
    ADD COLUMN ask    DECIMAL(24, 4) NULL;

CREATE TABLE daily_bars (
    stock_code VARCHAR(16) NOT NULL,
    day        VARCHAR(10) NOT NULL,
    open       DECIMAL(24, 4) NOT NULL,
    high       DECIMAL(24, 4) NOT NULL,
    low        DECIMAL(24, 4) NOT NULL,
    close      DECIMAL(24, 4) NOT NULL,
    volume     BIGINT NOT NULL,
    PRIMARY KEY (stock_code, day)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE market_days (
    day       VARCHAR(10) NOT NULL,
    rolled_at DATETIME(6) NOT NULL,
    closed_at DATETIME(6) NULL,
    PRIMARY KEY (day)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE feed_leases (
    name       VARCHAR(64) NOT NULL,
    owner      VARCHAR(200) NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    PRIMARY KEY (name)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE dividends (
    id          VARCHAR(64) NOT NULL,
    stock_code  VARCHAR(16) NOT NULL,
    record_date VARCHAR(10) NOT NULL,
    pay_date    VARCHAR(10) NOT NULL,
    per_share   DECIMAL(24, 4) NOT NULL,
    recorded_at DATETIME(6) NULL,
    paid_at     DATETIME(6) NULL,
    created_at  DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY dividends_code_record (stock_code, record_date)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE dividend_holders (
    dividend_id VARCHAR(64) NOT NULL,
    account_id  VARCHAR(64) NOT NULL,
    quantity    BIGINT NOT NULL,
    paid_at     DATETIME(6) NULL,
    PRIMARY KEY (dividend_id, account_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- +goose Down
DROP TABLE dividend_holders;
DROP TABLE dividends;
DROP TABLE feed_leases;
DROP TABLE market_days;
DROP TABLE daily_bars;
ALTER TABLE stock_prices DROP COLUMN ask, DROP COLUMN bid, DROP COLUMN volume;
ALTER TABLE stocks DROP COLUMN volume, DROP COLUMN ask, DROP COLUMN bid;
