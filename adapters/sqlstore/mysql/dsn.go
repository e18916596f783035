package mysql

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
)

// DefaultPort is the server port a URL without one means.
const DefaultPort = "3306"

// Connection defaults DSNFromURL writes unless the URL says otherwise.
const (
	// dialTimeout bounds connecting, so that an unreachable server fails
	// `stocking serve` at start instead of hanging it.
	dialTimeout = 10 * time.Second
	// ioWriteTimeout bounds sending one request; ioReadTimeout bounds
	// waiting for one answer. The read bound is a guard against a server
	// that vanished without closing the connection, well above any lock
	// wait (innodb_lock_wait_timeout below) or migration step.
	ioWriteTimeout = 30 * time.Second
	ioReadTimeout  = 5 * time.Minute
	// lockWaitTimeout (seconds) replaces InnoDB's default of 50: a
	// transaction waits at most this long for a row lock before the
	// store retries it from the start, which is faster than waiting out
	// a stuck neighbour.
	lockWaitTimeout = "10"
)

// connCollation is the connection's collation, the one every table uses:
// literals and parameters then compare byte by byte with the columns.
const connCollation = "utf8mb4_bin"

// DSNFromURL turns a DATABASE_URI of the form
//
//	mysql://user:password@host:3306/dbname?option=value
//
// (also mariadb://, and the older mysql+pymysql:// that cmd rewrites to
// mysql://) into a go-sql-driver DSN. User and password may be
// percent-encoded; a missing port is 3306. The DSN asks for what the store
// relies on (parseTime, UTC, found rows, utf8mb4) and for the timeouts
// above. It leaves interpolateParams off: the read pool's prepared
// statements measured faster than the driver interpolating each one, and
// the transaction pool interpolates (and batches) whatever the DSN says. Query options pass through as driver options (tls, timeout,
// interpolateParams, ...) or, for names the driver does not know, as
// session variables set on every connection, as the driver does; the
// Python forms charset=, ssl=, ssl_mode= and unix_socket= are translated.
func DSNFromURL(u *url.URL) (string, error) {
	if u == nil {
		return "", errors.New("mysql: no URL")
	}
	switch strings.ToLower(u.Scheme) {
	case "mysql", "mariadb", "mysql+pymysql":
	default:
		return "", fmt.Errorf("mysql: URL scheme %q is not mysql://", u.Scheme)
	}
	cfg := gomysql.NewConfig()
	if u.User != nil {
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
	}
	cfg.DBName = strings.TrimPrefix(u.Path, "/")
	if cfg.DBName == "" || strings.Contains(cfg.DBName, "/") {
		return "", fmt.Errorf("mysql: URL path %q must name one database", u.Path)
	}
	if host := u.Hostname(); host != "" {
		port := u.Port()
		if port == "" {
			port = DefaultPort
		}
		cfg.Net, cfg.Addr = "tcp", net.JoinHostPort(host, port)
	}
	cfg.Timeout = dialTimeout
	cfg.ReadTimeout = ioReadTimeout
	cfg.WriteTimeout = ioWriteTimeout
	cfg.Params = map[string]string{"innodb_lock_wait_timeout": lockWaitTimeout}

	// Options are applied through the driver's own parser, so that each
	// is validated exactly as in a DSN and later ones override the
	// defaults above.
	var opts []string
	for key, vals := range u.Query() {
		val := vals[len(vals)-1]
		switch strings.ToLower(key) {
		case "charset":
			// The store always speaks utf8mb4; an older utf8 request is
			// satisfied by it, anything else is a mistake.
			switch strings.ToLower(val) {
			case "utf8mb4", "utf8", "utf8mb3":
				continue
			}
			return "", fmt.Errorf("mysql: charset %q: the store needs utf8mb4", val)
		case "unix_socket", "socket":
			cfg.Net, cfg.Addr = "unix", val
			continue
		case "ssl", "ssl_mode", "ssl-mode", "sslmode":
			tls, err := tlsOption(val)
			if err != nil {
				return "", err
			}
			key, val = "tls", tls
		}
		opts = append(opts, key+"="+url.QueryEscape(val))
	}
	if cfg.Addr == "" {
		return "", errors.New("mysql: URL names no host (or unix_socket)")
	}
	dsn := cfg.FormatDSN()
	if len(opts) > 0 {
		sep := "?"
		if strings.Contains(dsn[strings.LastIndexByte(dsn, '/'):], "?") {
			sep = "&"
		}
		dsn += sep + strings.Join(opts, "&")
	}
	parsed, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return "", fmt.Errorf("mysql: URL options: %w", err)
	}
	if err := require(parsed); err != nil {
		return "", err
	}
	return parsed.FormatDSN(), nil
}

// tlsOption maps the ssl modes of other MySQL clients to the driver's tls
// option.
func tlsOption(mode string) (string, error) {
	switch strings.ToUpper(mode) {
	case "DISABLED", "FALSE", "0":
		return "false", nil
	case "PREFERRED":
		return "preferred", nil
	case "REQUIRED", "TRUE", "1":
		// REQUIRED encrypts without checking the certificate, as the
		// MySQL clients define it.
		return "skip-verify", nil
	case "VERIFY_CA", "VERIFY_IDENTITY":
		return "true", nil
	}
	return "", fmt.Errorf("mysql: unknown ssl mode %q", mode)
}

// driverConfig reads Config.DSN, a driver DSN or a mysql:// URL.
func driverConfig(dsn string) (*gomysql.Config, error) {
	if dsn == "" {
		return nil, errors.New("mysql: Config.DSN is empty")
	}
	if strings.Contains(dsn, "://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return nil, fmt.Errorf("mysql: DSN URL: %w", err)
		}
		if dsn, err = DSNFromURL(u); err != nil {
			return nil, err
		}
	}
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("mysql: DSN: %w", err)
	}
	if err := require(cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}

// require sets what the store's correctness depends on, whatever the DSN
// asked for:
//   - parseTime and loc=UTC: DATETIME columns hold UTC and come back as
//     time.Time in UTC;
//   - clientFoundRows: an UPDATE reports the rows it matched, not only
//     the rows whose values changed, so a conditional update that writes
//     what is already stored still says it won;
//   - utf8mb4 with the binary collation the tables use;
//   - times sent truncated to the microsecond DATETIME(6) keeps, so a
//     value reads back exactly as written;
//   - no multi-statement requests on the read pool, which never needs
//     them (the transaction pool turns them on for its batches, whose
//     text is the fixed sqlc statements with driver-escaped values).
func require(cfg *gomysql.Config) error {
	if cs := charsetOf(cfg); cs != "" && !strings.EqualFold(cs, "utf8mb4") {
		return fmt.Errorf("mysql: charset %q: the store needs utf8mb4", cs)
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	cfg.ClientFoundRows = true
	cfg.Collation = connCollation
	cfg.MultiStatements = false
	return cfg.Apply(gomysql.TimeTruncate(time.Microsecond))
}

// charsetOf is the charset option of a parsed DSN ("" when not set); the
// driver keeps it unexported, so it is read back from the formatted DSN.
func charsetOf(cfg *gomysql.Config) string {
	dsn := cfg.FormatDSN()
	q := dsn[strings.LastIndexByte(dsn, '/'):]
	_, params, ok := strings.Cut(q, "?")
	if !ok {
		return ""
	}
	v, err := url.ParseQuery(params)
	if err != nil {
		return ""
	}
	cs, _, _ := strings.Cut(v.Get("charset"), ",")
	return cs
}
