-- Sessions: one row per refresh token handed out. Tokens of one login
-- form a family (family_id, the id of its first token); a refresh marks
-- its token used and adds the next one to the family. A used token that
-- comes back was copied, so the whole family is revoked. Logout revokes a
-- family; a password change revokes every family of the user but the
-- caller's.
--
-- Stream tickets stand in for the bearer header that EventSource cannot
-- send: single use, short-lived, and in the database so that any API
-- process can take one that another handed out.
--
-- The indexes on updated_at serve the event stream, which polls the orders
-- and listings that changed since its last look.

-- +goose Up
CREATE TABLE sessions (
    id         VARCHAR(64) NOT NULL,
    family_id  VARCHAR(64) NOT NULL,
    user_id    VARCHAR(64) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    used_at    DATETIME(6) NULL,
    revoked_at DATETIME(6) NULL,
    PRIMARY KEY (id),
    KEY sessions_family (family_id),
    KEY sessions_user (user_id, family_id),
    CONSTRAINT fk_sessions_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE stream_tickets (
    id         VARCHAR(64) NOT NULL,
    user_id    VARCHAR(64) NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    used_at    DATETIME(6) NULL,
    PRIMARY KEY (id),
    CONSTRAINT fk_stream_tickets_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

ALTER TABLE orders ADD KEY orders_updated (updated_at);
ALTER TABLE stocks ADD KEY stocks_updated (updated_at);

-- +goose Down
ALTER TABLE stocks DROP KEY stocks_updated;
ALTER TABLE orders DROP KEY orders_updated;
DROP TABLE stream_tickets;
DROP TABLE sessions;
