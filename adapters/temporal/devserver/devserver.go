// Package devserver runs a Temporal server and the Temporal Web UI inside the
// calling process, backed by SQLite, so that `stocking dev` needs nothing but
// Go on a newcomer's machine.
//
// It is a package of its own because it links the whole Temporal server and
// the UI assets (a couple of hundred megabytes); production binaries leave it
// out with a build tag and talk to a real cluster instead.
package devserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/membership/static"
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/temporal"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// DefaultNamespace is the namespace used when Options.Namespace is empty. It
// is also always created because SDK clients and the UI fall back to it.
const DefaultNamespace = "default"

// clusterName names the single cluster; it is persisted in file mode, so it
// must never change or an existing database would describe a foreign cluster.
const clusterName = "active"

// readyTimeout bounds the wait for the frontend when the caller's context has
// no deadline, so a wedged server fails Start instead of hanging `stocking dev`.
const readyTimeout = time.Minute

// Options configures Start.
type Options struct {
	// FrontendAddr is host:port for the frontend gRPC, e.g. "127.0.0.1:7233".
	// Port 0 picks a free port; an empty host, or an empty address, means
	// 127.0.0.1.
	FrontendAddr string
	// UIAddr is host:port for the Web UI, e.g. "127.0.0.1:8233". Empty means
	// no UI; port 0 picks a free port.
	UIAddr string
	// Namespace is created if missing; empty means DefaultNamespace.
	Namespace string
	// DBPath is a SQLite file, created with its schema on first use, so that
	// workflows survive a restart. Empty means an in-memory database that is
	// gone after Stop.
	DBPath string
	// Logger receives the server's logs at warn level and above; the server
	// is far too chatty below that for a developer's terminal. Nil discards
	// them, except a fatal error, which still goes to stderr.
	Logger *slog.Logger

	// tuning overrides the measured defaults; only benchmarks set it.
	tuning *tuning
}

// Server is a running in-process Temporal server, optionally with the UI.
type Server struct {
	namespace        string
	frontendHostPort string
	uiURL            string

	temporal temporal.Server
	ui       *webUI
	db       *sqliteStore

	quietLogs *atomic.Bool

	stopOnce sync.Once
	stopErr  error
}

// Start brings up the server and, if asked, the UI. It returns once the
// frontend has answered a describe of the namespace and the UI port accepts
// connections, so callers can dial at once. On error nothing is left running.
func Start(ctx context.Context, opts Options) (_ *Server, err error) {
	if opts.Namespace == "" {
		opts.Namespace = DefaultNamespace
	}
	tune := defaultTuning
	if opts.tuning != nil {
		tune = *opts.tuning
	}
	logger, quietLogs := newServerLogger(opts.Logger)

	ports, err := reservePorts(opts.FrontendAddr, opts.UIAddr)
	if err != nil {
		return nil, err
	}
	// Only failed starts still hold reservations when this runs.
	defer ports.release()

	s := &Server{
		namespace:        opts.Namespace,
		frontendHostPort: ports.frontend.dial,
		quietLogs:        quietLogs,
	}
	defer func() {
		if err != nil {
			_ = s.Stop()
		}
	}()

	s.db, err = openSQLite(opts.DBPath, tune)
	if err != nil {
		return nil, err
	}
	if err := s.db.createNamespaces(clusterName, opts.Namespace, DefaultNamespace); err != nil {
		return nil, err
	}

	cfg := serverConfig(ports, s.db.cfg, tune)
	// Some services bind while the server is being built, so the
	// reservations go first.
	ports.releaseServer()
	srv, err := temporal.NewServer(
		temporal.WithConfig(cfg),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(staticHosts(ports)),
		temporal.WithLogger(logger),
		temporal.WithDynamicConfigClient(dynamicConfig(tune)),
		// A dev box has no identities to check; the no-op pair makes that
		// explicit instead of depending on an empty authorization config.
		temporal.WithAuthorizer(authorization.NewNoopAuthorizer()),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper {
			return authorization.NewNoopClaimMapper()
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("temporal: create server: %w", err)
	}
	if err := srv.Start(); err != nil {
		// A failed Start may have started some services; Stop unwinds them.
		_ = srv.Stop()
		return nil, fmt.Errorf("temporal: start server: %w", err)
	}
	s.temporal = srv

	if err := waitForFrontend(ctx, s.frontendHostPort, opts.Namespace); err != nil {
		return nil, err
	}

	if ports.ui != nil {
		s.ui, err = startWebUI(ctx, ports.ui, s.frontendHostPort, opts.Namespace)
		if err != nil {
			return nil, err
		}
		s.uiURL = "http://" + ports.ui.dial
	}
	return s, nil
}

// FrontendHostPort is the address SDK clients and workers dial.
func (s *Server) FrontendHostPort() string { return s.frontendHostPort }

// UIURL is the Web UI's base URL, or "" when the UI was not asked for.
func (s *Server) UIURL() string { return s.uiURL }

// Namespace is the namespace Start made sure exists.
func (s *Server) Namespace() string { return s.namespace }

// Stop shuts the UI and the server down and closes the SQLite database, so
// their ports can be bound again and the database file is no longer held
// open. Later calls return the first call's result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.quietLogs.Store(true)
		var errs []error
		if s.ui != nil {
			errs = append(errs, s.ui.stop())
		}
		if s.temporal != nil {
			if err := s.temporal.Stop(); err != nil {
				errs = append(errs, fmt.Errorf("temporal: stop server: %w", err))
			}
		}
		// Last, because the services use the database until they are down.
		if s.db != nil {
			errs = append(errs, s.db.close())
		}
		s.stopErr = errors.Join(errs...)
	})
	return s.stopErr
}

// serverConfig describes one host running every service, the services other
// than the frontend on loopback ports nobody needs to know.
func serverConfig(ports *portPlan, store *config.SQL, tune tuning) *config.Config {
	service := func(p *plannedPort) config.Service {
		return config.Service{RPC: config.RPC{GRPCPort: p.port, BindOnIP: p.bindHost}}
	}
	frontend := service(ports.frontend)
	frontend.RPC.HTTPPort = ports.http.port

	return &config.Config{
		Global: config.Global{
			// Static hosts replace the gossip ring, but the server still
			// reads the join limit to size its start timeout.
			Membership: config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: loopback},
			// Metrics and pprof stay off: nothing scrapes a dev server and
			// each would need yet another port.
		},
		Persistence: config.Persistence{
			DefaultStore:     sqliteStoreName,
			VisibilityStore:  sqliteStoreName,
			NumHistoryShards: tune.historyShards,
			DataStores:       map[string]config.DataStore{sqliteStoreName: {SQL: store}},
		},
		ClusterMetadata: clusterMetadata(ports),
		DCRedirectionPolicy: config.DCRedirectionPolicy{
			Policy: "noop",
		},
		Services: map[string]config.Service{
			string(primitives.FrontendService): frontend,
			string(primitives.HistoryService):  service(ports.history),
			string(primitives.MatchingService): service(ports.matching),
			string(primitives.WorkerService):   service(ports.worker),
		},
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		NamespaceDefaults: config.NamespaceDefaults{
			Archival: config.ArchivalNamespaceDefaults{
				History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
				Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
			},
		},
		// The worker service runs the server's own system workflows through
		// an SDK client, which needs to know where the frontend is.
		PublicClient: config.PublicClient{HostPort: ports.frontend.dial},
	}
}

func staticHosts(ports *portPlan) map[primitives.ServiceName]static.Hosts {
	return map[primitives.ServiceName]static.Hosts{
		primitives.FrontendService: static.SingleLocalHost(ports.frontend.dial),
		primitives.HistoryService:  static.SingleLocalHost(ports.history.dial),
		primitives.MatchingService: static.SingleLocalHost(ports.matching.dial),
		primitives.WorkerService:   static.SingleLocalHost(ports.worker.dial),
	}
}

// waitForFrontend polls DescribeNamespace because the server's Start returns
// before the namespace registry has loaded; a client dialing right after it
// would otherwise see "namespace not found".
func waitForFrontend(ctx context.Context, hostPort, namespace string) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, readyTimeout)
		defer cancel()
	}
	conn, err := grpc.NewClient(hostPort, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("temporal frontend: dial %s: %w", hostPort, err)
	}
	defer func() { _ = conn.Close() }()
	client := workflowservice.NewWorkflowServiceClient(conn)

	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		callCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := client.DescribeNamespace(callCtx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("temporal frontend %s not ready: %w (last error: %v)", hostPort, ctx.Err(), err)
		case <-tick.C:
		}
	}
}

// hostPort joins host and port the way every address in this package is
// written, so IPv6 hosts get their brackets.
func hostPort(host string, port int) string {
	return net.JoinHostPort(host, strconv.Itoa(port))
}
