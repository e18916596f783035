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
    id         TEXT PRIMARY KEY,
    family_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id),
    created_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL,
    used_at    DATETIME,
    revoked_at DATETIME
) WITHOUT ROWID;
CREATE INDEX sessions_family ON sessions (family_id);
CREATE INDEX sessions_user ON sessions (user_id, family_id);

CREATE TABLE stream_tickets (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    expires_at DATETIME NOT NULL,
    used_at    DATETIME
) WITHOUT ROWID;

CREATE INDEX orders_updated ON orders (updated_at);
CREATE INDEX stocks_updated ON stocks (updated_at);

-- +goose Down
DROP INDEX stocks_updated;
DROP INDEX orders_updated;
DROP TABLE stream_tickets;
DROP TABLE sessions;
