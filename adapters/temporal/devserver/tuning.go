package devserver

import (
	"go.temporal.io/server/common/dynamicconfig"
)

// tuning holds the settings measured with BenchmarkSignalActivityComplete.
type tuning struct {
	// historyShards is fixed for the life of a database file: the server
	// keeps the count it first saw and ignores a different one later.
	historyShards int32
	// sqliteConns is the connection count for file mode; in-memory mode
	// always uses one (see openSQLite).
	sqliteConns int
	// persistenceQPS caps each service's database calls; 0 keeps the
	// server's defaults (2,000 for the frontend, 500 for the worker service),
	// which are sized for a shared cluster database, not a private file.
	persistenceQPS int
}

// defaultTuning is what measured fastest and stayed free of errors on a
// two-core machine. Four shards did no better in memory and worse on a file,
// since every shard still queues on the one SQLite writer. Four connections
// halved throughput and failed writes with "database is locked". The raised
// QPS limits measured no different at a dev box's load; they are there so
// that a burst (a script starting thousands of workflows, the UI listing
// them) is not throttled by limits meant for a shared database.
var defaultTuning = tuning{
	historyShards:  1,
	sqliteConns:    1,
	persistenceQPS: 50_000,
}

// dynamicConfig is fixed at start: a dev server has no operator to change it.
func dynamicConfig(t tuning) dynamicconfig.StaticClient {
	dc := dynamicconfig.StaticClient{
		// A search attribute added by the developer shows up at once instead
		// of after the cache's refresh interval.
		dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key(): true,
		// One worker process polls a task queue; partitions would only add
		// forwarding between them.
		dynamicconfig.MatchingNumTaskqueueReadPartitions.Key():  1,
		dynamicconfig.MatchingNumTaskqueueWritePartitions.Key(): 1,
		// The worker service never stops the SDK workers of the scanners and
		// of the parent-close-policy processor: each stopped server would
		// leave about a hundred goroutines polling a frontend that is gone.
		// Neither is needed here: the scanners tidy up after weeks of
		// production traffic, and without the processor the history
		// service applies parent close policies itself.
		dynamicconfig.TaskQueueScannerEnabled.Key():       false,
		dynamicconfig.HistoryScannerEnabled.Key():         false,
		dynamicconfig.EnableParentClosePolicyWorker.Key(): false,
	}
	if t.persistenceQPS > 0 {
		for _, s := range []dynamicconfig.GlobalIntSetting{
			dynamicconfig.FrontendPersistenceMaxQPS,
			dynamicconfig.HistoryPersistenceMaxQPS,
			dynamicconfig.MatchingPersistenceMaxQPS,
			dynamicconfig.WorkerPersistenceMaxQPS,
		} {
			dc[s.Key()] = t.persistenceQPS
		}
	}
	return dc
}
