package main

import (
	"fmt"
	"net/url"
	"strings"
)

// DB engines.
const (
	engineSQLite   = "sqlite"
	enginePostgres = "postgres"
	engineMySQL    = "mysql"
)

// dbURIForms is shown whenever DATABASE_URI cannot be read.
const dbURIForms = `accepted DATABASE_URI forms:
  sqlite:///relative/path.db    (a file relative to the working directory)
  sqlite:////absolute/path.db   (an absolute path)
  sqlite:///:memory:            (a private in-memory database)
  postgres://user:password@host:5432/dbname?sslmode=disable   (also postgresql://)
  mysql://user:password@host:3306/dbname                      (also mysql+pymysql://)`

// dbTarget is a parsed DATABASE_URI.
type dbTarget struct {
	Engine string
	// Path is the SQLite file (or ":memory:").
	Path string
	// URL is the parsed URL for the server engines.
	URL *url.URL
}

// parseDatabaseURI reads DATABASE_URI in any of the forms in dbURIForms.
func parseDatabaseURI(raw string) (dbTarget, error) {
	bad := func(why string) (dbTarget, error) {
		return dbTarget{}, fmt.Errorf("DATABASE_URI %q: %s\n%s", redact(raw), why, dbURIForms)
	}
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return bad("no scheme")
	}
	switch strings.ToLower(scheme) {
	case "sqlite", "sqlite3":
		if !strings.HasPrefix(rest, "/") || len(rest) < 2 {
			return bad("a SQLite URI needs three slashes and a path")
		}
		path := rest[1:] // sqlite:///x.db → x.db; sqlite:////abs → /abs
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
		if path == "" {
			return bad("missing database file")
		}
		return dbTarget{Engine: engineSQLite, Path: path}, nil
	case "postgres", "postgresql":
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" || strings.Trim(u.Path, "/") == "" {
			return bad("a PostgreSQL URI needs a host and a database name")
		}
		return dbTarget{Engine: enginePostgres, URL: u}, nil
	case "mysql", "mysql+pymysql", "mariadb":
		u, err := url.Parse("mysql://" + rest)
		if err != nil || u.Host == "" || strings.Trim(u.Path, "/") == "" {
			return bad("a MySQL URI needs a host and a database name")
		}
		return dbTarget{Engine: engineMySQL, URL: u}, nil
	}
	return bad(fmt.Sprintf("unknown scheme %q", scheme))
}

// redact hides a password in a URI before it is printed.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
