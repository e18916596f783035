package devserver

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"

	"go.temporal.io/server/common/cluster"
)

// loopback is where every service nobody dials from outside listens, so a dev
// server never exposes its internals to the network.
const loopback = "127.0.0.1"

// plannedPort is a port chosen before the server starts. Its listener holds
// the port until the server is about to bind it, which keeps the free ports
// picked for one server from being handed to another started alongside.
type plannedPort struct {
	bindHost string // IP literal the service binds
	port     int
	dial     string // host:port others connect to
	ln       net.Listener
}

func (p *plannedPort) release() {
	if p != nil && p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
}

// portPlan holds every port one server needs.
type portPlan struct {
	frontend, http, history, matching, worker *plannedPort
	ui                                        *plannedPort // nil when no UI
}

// reservePorts checks the caller's frontend and UI addresses are free and
// picks free loopback ports for the rest. A busy port becomes an error here
// because both the server and the UI end the process (Fatal) when they cannot
// listen.
func reservePorts(frontendAddr, uiAddr string) (_ *portPlan, err error) {
	plan := &portPlan{}
	defer func() {
		if err != nil {
			plan.release()
		}
	}()

	if frontendAddr == "" {
		frontendAddr = hostPort(loopback, 0)
	}
	if plan.frontend, err = reserve("temporal frontend", frontendAddr); err != nil {
		return nil, err
	}
	if uiAddr != "" {
		if plan.ui, err = reserve("temporal ui", uiAddr); err != nil {
			return nil, err
		}
	}
	// The HTTP API listens on the frontend's IP (the server derives its
	// address from the gRPC listener), so its port is reserved there.
	if plan.http, err = reserve("temporal http api", hostPort(plan.frontend.bindHost, 0)); err != nil {
		return nil, err
	}
	for _, p := range []**plannedPort{&plan.history, &plan.matching, &plan.worker} {
		if *p, err = reserve("temporal internal service", hostPort(loopback, 0)); err != nil {
			return nil, err
		}
	}
	return plan, nil
}

func (p *portPlan) release() {
	for _, port := range []*plannedPort{p.frontend, p.http, p.history, p.matching, p.worker, p.ui} {
		port.release()
	}
}

// releaseServer frees the ports the Temporal services bind, keeping the UI's
// until the UI starts.
func (p *portPlan) releaseServer() {
	for _, port := range []*plannedPort{p.frontend, p.http, p.history, p.matching, p.worker} {
		port.release()
	}
}

// reserve listens on addr to prove it is free (or to have the kernel pick a
// port) and keeps the listener as the reservation.
func reserve(what, addr string) (*plannedPort, error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("%s: address %q: %w", what, addr, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("%s: address %q: bad port", what, addr)
	}
	bindHost, dialHost, err := bindAndDialHosts(host)
	if err != nil {
		return nil, fmt.Errorf("%s: address %q: %w", what, addr, err)
	}

	ln, err := net.Listen("tcp", hostPort(bindHost, port))
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("%s: %s is in use", what, addr)
		}
		return nil, fmt.Errorf("%s: cannot listen on %s: %w", what, addr, err)
	}
	port = ln.Addr().(*net.TCPAddr).Port
	return &plannedPort{
		bindHost: bindHost,
		port:     port,
		dial:     hostPort(dialHost, port),
		ln:       ln,
	}, nil
}

// bindAndDialHosts turns the host of a user-given address into the IP the
// server binds and the host clients dial. The server only binds IP literals,
// and a wildcard bind is dialed through loopback.
func bindAndDialHosts(host string) (bind, dial string, err error) {
	switch host {
	case "", "localhost":
		return loopback, loopback, nil
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return "", "", fmt.Errorf("host must be an IP address or localhost")
	}
	if ip.IsUnspecified() {
		if ip.To4() == nil {
			return host, "::1", nil
		}
		return host, loopback, nil
	}
	return host, host, nil
}

// clusterMetadata declares the one cluster as both master and current, with
// global namespaces off: replication has nothing to talk to here.
func clusterMetadata(ports *portPlan) *cluster.Config {
	return &cluster.Config{
		EnableGlobalNamespace:    false,
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			clusterName: {
				Enabled:                true,
				InitialFailoverVersion: 1,
				RPCAddress:             ports.frontend.dial,
				HTTPAddress:            ports.http.dial,
			},
		},
	}
}
