package devserver

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	"go.temporal.io/server/common/persistence/sql"
	"go.temporal.io/server/common/persistence/sql/sqlplugin"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/resolver"
	sqliteschema "go.temporal.io/server/schema/sqlite"
)

// sqliteStoreName names the one data store in the server config; main and
// visibility records share it.
const sqliteStoreName = "sqlite-default"

// instanceAttr is a connect attribute that makes each Start's DSN unique. The
// sqlite plugin keys its shared connections by DSN and never closes them, so
// Stop closes the connection itself; a later Start on the same file must then
// not be handed that closed connection. The plugin turns unknown attributes
// into pragmas, and SQLite ignores pragmas it does not know.
const instanceAttr = "stocking_devserver_instance"

var instanceSeq atomic.Uint64

// sqliteStore is the server's database plus a handle on the plugin's shared
// connection, kept so Stop can close it.
type sqliteStore struct {
	cfg    *config.SQL
	handle sqlplugin.AdminDB
}

// openSQLite prepares the database before the server starts: the schema for a
// new file (in-memory databases get theirs from the plugin) and the handle
// Stop uses to close it.
func openSQLite(path string, tune tuning) (*sqliteStore, error) {
	seq := instanceSeq.Add(1)
	cfg := &config.SQL{
		PluginName:        sqliteplugin.PluginName,
		ConnectAttributes: map[string]string{instanceAttr: strconv.FormatUint(seq, 10)},
	}
	if path == "" {
		// A shared cache lets every store of the server see one database;
		// the name keeps two servers in one process apart.
		cfg.DatabaseName = fmt.Sprintf("stocking-dev-%d-%d", os.Getpid(), seq)
		cfg.ConnectAttributes["mode"] = "memory"
		cfg.ConnectAttributes["cache"] = "shared"
		// Shared-cache connections lock whole tables against each other, so
		// more of them measured no faster, and two that upgrade a read lock
		// at once fail with a deadlock error instead of waiting.
		cfg.MaxConns = 1
		cfg.MaxIdleConns = 1
	} else {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, fmt.Errorf("temporal sqlite: %w", err)
		}
		// The plugin pastes the path into a file: URI unescaped.
		if strings.ContainsAny(abs, "?#%") {
			return nil, fmt.Errorf("temporal sqlite: path %q must not contain '?', '#' or '%%'", abs)
		}
		if _, err := os.Stat(filepath.Dir(abs)); err != nil {
			return nil, fmt.Errorf("temporal sqlite: directory for %s: %w", abs, err)
		}
		cfg.DatabaseName = abs
		cfg.ConnectAttributes["mode"] = "rwc"
		// With a rollback journal every commit creates, syncs and deletes a
		// journal file; WAL appends instead and, with synchronous=NORMAL,
		// syncs only at checkpoints. That measured five to six times faster
		// even on one connection. A crash of the machine may lose the last
		// commits, never the file's consistency: right for dev.
		cfg.ConnectAttributes["journal_mode"] = "wal"
		cfg.ConnectAttributes["synchronous"] = "NORMAL"
		// Someone poking at the file with a sqlite3 shell makes the server
		// wait for the lock instead of failing its write.
		cfg.ConnectAttributes["busy_timeout"] = "10000"
		cfg.MaxConns = tune.sqliteConns
		cfg.MaxIdleConns = tune.sqliteConns
	}

	handle, err := sql.NewSQLAdminDB(sqlplugin.DbKindUnknown, cfg, resolver.NewNoopResolver(), log.NewNoopLogger(), metrics.NoopMetricsHandler)
	if err != nil {
		return nil, fmt.Errorf("temporal sqlite: open %s: %w", cfg.DatabaseName, err)
	}
	store := &sqliteStore{cfg: cfg, handle: handle}

	if path != "" {
		tables, err := handle.ListTables(cfg.DatabaseName)
		if err == nil && len(tables) == 0 {
			err = sqliteschema.SetupSchemaOnDB(handle)
		}
		if err != nil {
			_ = store.close()
			return nil, fmt.Errorf("temporal sqlite: schema in %s: %w", cfg.DatabaseName, err)
		}
	}
	for _, idx := range unusedVisibilityIndexes {
		if err := handle.Exec("DROP INDEX IF EXISTS " + idx); err != nil {
			_ = store.close()
			return nil, fmt.Errorf("temporal sqlite: dropping visibility index %s in %s: %w", idx, cfg.DatabaseName, err)
		}
	}
	for _, stmt := range visibilityTriggers {
		if err := handle.Exec(stmt); err != nil {
			_ = store.close()
			return nil, fmt.Errorf("temporal sqlite: visibility triggers in %s: %w", cfg.DatabaseName, err)
		}
	}
	return store, nil
}

// visibilityTriggers replace the schema's one update trigger of the
// visibility table, which rewrites the row's entries in both full-text
// tables on every update, by two that do so only when a column of their
// table changed. The server's upsert sets every column, so without the
// condition a workflow's close (or any search-attribute change) rewrote
// the full-text entries of its keyword lists and texts, which had not
// changed. The full-text tables stay exactly in step with the rows.
var visibilityTriggers = []string{
	`DROP TRIGGER IF EXISTS executions_visibility_au`,
	`CREATE TRIGGER IF NOT EXISTS stocking_visibility_au_text AFTER UPDATE ON executions_visibility
	WHEN OLD.Text01 IS NOT NEW.Text01 OR OLD.Text02 IS NOT NEW.Text02 OR OLD.Text03 IS NOT NEW.Text03
	BEGIN
		INSERT INTO executions_visibility_fts_text (executions_visibility_fts_text, rowid, Text01, Text02, Text03)
		VALUES ('delete', OLD.rowid, OLD.Text01, OLD.Text02, OLD.Text03);
		INSERT INTO executions_visibility_fts_text (rowid, Text01, Text02, Text03)
		VALUES (NEW.rowid, NEW.Text01, NEW.Text02, NEW.Text03);
	END`,
	`CREATE TRIGGER IF NOT EXISTS stocking_visibility_au_keyword_list AFTER UPDATE ON executions_visibility
	WHEN OLD.TemporalChangeVersion IS NOT NEW.TemporalChangeVersion
		OR OLD.BinaryChecksums IS NOT NEW.BinaryChecksums
		OR OLD.BuildIds IS NOT NEW.BuildIds
		OR OLD.TemporalPauseInfo IS NOT NEW.TemporalPauseInfo
		OR OLD.TemporalReportedProblems IS NOT NEW.TemporalReportedProblems
		OR OLD.TemporalUsedWorkerDeploymentVersions IS NOT NEW.TemporalUsedWorkerDeploymentVersions
		OR OLD.KeywordList01 IS NOT NEW.KeywordList01
		OR OLD.KeywordList02 IS NOT NEW.KeywordList02
		OR OLD.KeywordList03 IS NOT NEW.KeywordList03
		OR OLD.TemporalKeywordList01 IS NOT NEW.TemporalKeywordList01
		OR OLD.TemporalKeywordList02 IS NOT NEW.TemporalKeywordList02
	BEGIN
		INSERT INTO executions_visibility_fts_keyword_list (executions_visibility_fts_keyword_list, rowid,
			TemporalChangeVersion, BinaryChecksums, BuildIds, TemporalPauseInfo, TemporalReportedProblems,
			TemporalUsedWorkerDeploymentVersions, KeywordList01, KeywordList02, KeywordList03,
			TemporalKeywordList01, TemporalKeywordList02)
		VALUES ('delete', OLD.rowid,
			OLD.TemporalChangeVersion, OLD.BinaryChecksums, OLD.BuildIds, OLD.TemporalPauseInfo, OLD.TemporalReportedProblems,
			OLD.TemporalUsedWorkerDeploymentVersions, OLD.KeywordList01, OLD.KeywordList02, OLD.KeywordList03,
			OLD.TemporalKeywordList01, OLD.TemporalKeywordList02);
		INSERT INTO executions_visibility_fts_keyword_list (rowid,
			TemporalChangeVersion, BinaryChecksums, BuildIds, TemporalPauseInfo, TemporalReportedProblems,
			TemporalUsedWorkerDeploymentVersions, KeywordList01, KeywordList02, KeywordList03,
			TemporalKeywordList01, TemporalKeywordList02)
		VALUES (NEW.rowid,
			NEW.TemporalChangeVersion, NEW.BinaryChecksums, NEW.BuildIds, NEW.TemporalPauseInfo, NEW.TemporalReportedProblems,
			NEW.TemporalUsedWorkerDeploymentVersions, NEW.KeywordList01, NEW.KeywordList02, NEW.KeywordList03,
			NEW.TemporalKeywordList01, NEW.TemporalKeywordList02);
	END`,
}

// unusedVisibilityIndexes are indexes of the server's SQLite visibility
// schema that a dev server drops. Every index there ends in the close time,
// and the server writes a workflow's visibility row with an upsert that sets
// every column, so each start, search-attribute change (each GetVersion of a
// workflow makes one) and close rewrites an entry in all 58 of them: most of
// the dev server's write work under load. These serve lists filtered by the
// pre-allocated custom search attributes, by sizes and counts, by parent and
// root workflow, and by worker deployment, none of which this project sets;
// such a list still works, by scanning the namespace's rows. Kept: the
// default order, the execution time, workflow id, type, status and task
// queue that the UI and the CLI filter on, and the ones of schedules.
var unusedVisibilityIndexes = []string{
	"by_history_length", "by_history_size_bytes", "by_execution_duration", "by_state_transition_count",
	"by_parent_workflow_id", "by_parent_run_id", "by_root_workflow_id", "by_root_run_id",
	"by_batcher_user", "by_temporal_pause_info",
	"by_temporal_worker_deployment_version", "by_temporal_workflow_versioning_behavior", "by_temporal_worker_deployment",
	"by_bool_01", "by_bool_02", "by_bool_03",
	"by_datetime_01", "by_datetime_02", "by_datetime_03",
	"by_double_01", "by_double_02", "by_double_03",
	"by_int_01", "by_int_02", "by_int_03",
	"by_keyword_01", "by_keyword_02", "by_keyword_03", "by_keyword_04", "by_keyword_05",
	"by_keyword_06", "by_keyword_07", "by_keyword_08", "by_keyword_09", "by_keyword_10",
	"by_temporal_bool_01", "by_temporal_bool_02", "by_temporal_datetime_01", "by_temporal_datetime_02",
	"by_temporal_double_01", "by_temporal_double_02", "by_temporal_int_01", "by_temporal_int_02",
	"by_temporal_keyword_01", "by_temporal_keyword_02", "by_temporal_keyword_03", "by_temporal_keyword_04",
	"by_temporal_low_cardinality_keyword_01",
}

// createNamespaces writes the namespaces straight into the store, because the
// server only serves namespaces it finds at start and a dev server should not
// make the caller register one through the API first. Existing ones are left
// as they are.
func (s *sqliteStore) createNamespaces(cluster string, names ...string) error {
	seen := map[string]bool{}
	var nss []*sqliteschema.NamespaceConfig
	for _, name := range names {
		if seen[name] {
			continue
		}
		seen[name] = true
		ns, err := sqliteschema.NewNamespaceConfig(cluster, name, false, nil)
		if err != nil {
			return fmt.Errorf("temporal sqlite: namespace %q: %w", name, err)
		}
		nss = append(nss, ns)
	}
	if err := sqliteschema.CreateNamespaces(s.cfg, nss...); err != nil {
		return fmt.Errorf("temporal sqlite: %w", err)
	}
	return nil
}

// close closes the plugin's shared connection. The plugin only counts
// references down and keeps the connection for the life of the process,
// which would hold the file open and keep an in-memory database alive after
// Stop. Nothing public reaches that connection, so it is read from the
// handle's unexported field; if the plugin's layout ever changes this reports
// an error rather than guessing.
func (s *sqliteStore) close() error {
	defer func() { _ = s.handle.Close() }()

	v := reflect.ValueOf(s.handle)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return errSQLiteLayout
	}
	field := v.Elem().FieldByName("db")
	if !field.IsValid() || field.Type() != reflect.TypeFor[*sqlx.DB]() || field.IsNil() {
		return errSQLiteLayout
	}
	db := (*sqlx.DB)(field.UnsafePointer())
	if err := db.Close(); err != nil {
		return fmt.Errorf("temporal sqlite: close %s: %w", s.cfg.DatabaseName, err)
	}
	return nil
}

var errSQLiteLayout = errors.New("temporal sqlite: cannot reach the plugin's connection to close it; the database stays open until the process exits")
