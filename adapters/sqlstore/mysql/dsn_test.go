package mysql

import (
	"net/url"
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
)

func TestDSNFromURL(t *testing.T) {
	type want struct {
		user, passwd, net, addr, db string
		tls                         string
		interpolate                 bool
		timeout                     time.Duration
		params                      map[string]string
	}
	// base is what every DSN carries besides the case's own settings.
	base := func(w want) want {
		if w.net == "" {
			w.net = "tcp"
		}
		if w.timeout == 0 {
			w.timeout = dialTimeout
		}
		if w.params == nil {
			w.params = map[string]string{"innodb_lock_wait_timeout": lockWaitTimeout}
		}
		return w
	}
	cases := []struct {
		name string
		raw  string
		want want
	}{
		{"plain", "mysql://root@127.0.0.1:3306/test",
			want{user: "root", addr: "127.0.0.1:3306", db: "test"}},
		{"default port", "mysql://app:secret@db.internal/stocking",
			want{user: "app", passwd: "secret", addr: "db.internal:3306", db: "stocking"}},
		{"password with reserved characters", "mysql://app:p%40ss%3Aw%2Frd%3F%23%25%26%3D%20x@db:3307/stocking",
			want{user: "app", passwd: "p@ss:w/rd?#%&= x", addr: "db:3307", db: "stocking"}},
		{"password with an unescaped colon", "mysql://app:a:b@db/stocking",
			want{user: "app", passwd: "a:b", addr: "db:3306", db: "stocking"}},
		{"non-ASCII password", "mysql://app:%ED%95%9C%EA%B8%80@db/stocking",
			want{user: "app", passwd: "한글", addr: "db:3306", db: "stocking"}},
		// cmd rewrites mysql+pymysql://... to mysql://...; both spellings
		// are accepted here too.
		{"pymysql form after cmd's rewrite", "mysql://stocking:pw@mysql:3306/stocking?charset=utf8mb4",
			want{user: "stocking", passwd: "pw", addr: "mysql:3306", db: "stocking"}},
		{"pymysql scheme", "mysql+pymysql://stocking:pw@mysql:3306/stocking?charset=utf8",
			want{user: "stocking", passwd: "pw", addr: "mysql:3306", db: "stocking"}},
		{"IPv6 host", "mysql://root@[::1]:3306/test",
			want{user: "root", addr: "[::1]:3306", db: "test"}},
		{"unix socket", "mysql://root@/test?unix_socket=/run/mysqld/mysqld.sock",
			want{user: "root", net: "unix", addr: "/run/mysqld/mysqld.sock", db: "test"}},
		{"driver options override defaults", "mysql://root@h/test?timeout=3s&interpolateParams=true&tls=skip-verify",
			want{user: "root", addr: "h:3306", db: "test", timeout: 3 * time.Second, interpolate: true, tls: "skip-verify"}},
		{"ssl mode", "mysql://root@h/test?ssl_mode=REQUIRED",
			want{user: "root", addr: "h:3306", db: "test", tls: "skip-verify"}},
		{"session variables", "mysql://root@h/test?innodb_lock_wait_timeout=3&wait_timeout=600",
			want{user: "root", addr: "h:3306", db: "test", params: map[string]string{"innodb_lock_wait_timeout": "3", "wait_timeout": "600"}}},
		// What the store depends on cannot be turned off.
		{"required settings win", "mysql://root@h/test?parseTime=false&loc=Asia%2FSeoul&clientFoundRows=false&multiStatements=true",
			want{user: "root", addr: "h:3306", db: "test"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u, err := url.Parse(c.raw)
			if err != nil {
				t.Fatal(err)
			}
			dsn, err := DSNFromURL(u)
			if err != nil {
				t.Fatalf("DSNFromURL: %v", err)
			}
			cfg, err := gomysql.ParseDSN(dsn)
			if err != nil {
				t.Fatalf("the driver cannot read %q: %v", dsn, err)
			}
			w := base(c.want)
			got := want{user: cfg.User, passwd: cfg.Passwd, net: cfg.Net, addr: cfg.Addr, db: cfg.DBName,
				tls: cfg.TLSConfig, interpolate: cfg.InterpolateParams, timeout: cfg.Timeout, params: cfg.Params}
			if got.user != w.user || got.passwd != w.passwd || got.net != w.net || got.addr != w.addr || got.db != w.db ||
				got.tls != w.tls || got.interpolate != w.interpolate || got.timeout != w.timeout || !sameParams(got.params, w.params) {
				t.Errorf("DSN %q reads back as\n  %+v\nwant\n  %+v", dsn, got, w)
			}
			if !cfg.ParseTime || cfg.Loc != time.UTC || !cfg.ClientFoundRows || cfg.MultiStatements || cfg.Collation != connCollation {
				t.Errorf("DSN %q lacks a required setting: parseTime=%v loc=%v clientFoundRows=%v multiStatements=%v collation=%q",
					dsn, cfg.ParseTime, cfg.Loc, cfg.ClientFoundRows, cfg.MultiStatements, cfg.Collation)
			}
			if cfg.ReadTimeout == 0 || cfg.WriteTimeout == 0 {
				t.Errorf("DSN %q has no read or write timeout", dsn)
			}
			if !strings.Contains(dsn, "timeTruncate=1µs") {
				t.Errorf("DSN %q does not truncate times to the microsecond", dsn)
			}
		})
	}
}

func sameParams(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestDSNFromURLRejects(t *testing.T) {
	for _, raw := range []string{
		"postgres://u@h/db",                  // another engine
		"mysql://root@h:3306/",               // no database
		"mysql://root@h:3306/a/b",            // a path, not a database
		"mysql://root@/test",                 // no host and no socket
		"mysql://root@h/test?charset=latin1", // not utf8mb4
		"mysql://root@h/test?ssl_mode=SOMETIMES",
		"mysql://root@h/test?timeout=soon", // the driver's own check
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if dsn, err := DSNFromURL(u); err == nil {
			t.Errorf("DSNFromURL(%s) = %q, want an error", raw, dsn)
		}
	}
	if _, err := DSNFromURL(nil); err == nil {
		t.Error("DSNFromURL(nil) succeeded")
	}
}

// TestDriverConfig checks that Open accepts both forms and enforces the
// required settings on a plain driver DSN too.
func TestDriverConfig(t *testing.T) {
	for _, dsn := range []string{
		"app:pw@tcp(db:3306)/stocking?parseTime=false&loc=Local",
		"mysql://app:pw@db/stocking",
	} {
		cfg, err := driverConfig(dsn)
		if err != nil {
			t.Fatalf("driverConfig(%q): %v", dsn, err)
		}
		if cfg.Addr != "db:3306" || cfg.DBName != "stocking" || cfg.Passwd != "pw" {
			t.Errorf("driverConfig(%q) = %+v", dsn, cfg)
		}
		if !cfg.ParseTime || cfg.Loc != time.UTC || !cfg.ClientFoundRows || cfg.Collation != connCollation {
			t.Errorf("driverConfig(%q) lacks a required setting", dsn)
		}
	}
	for _, dsn := range []string{"", "app@tcp(db)/stocking?charset=latin1", "no slash"} {
		if _, err := driverConfig(dsn); err == nil {
			t.Errorf("driverConfig(%q) succeeded", dsn)
		}
	}
}
