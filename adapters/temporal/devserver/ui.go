package devserver

import (
	"context"
	"fmt"
	"net"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	"github.com/temporalio/ui-server/v2/server/server_options"
)

// webUI is the Temporal Web UI served from assets embedded in the ui-server
// module, so it works offline.
type webUI struct {
	srv  *uiserver.Server
	done chan struct{}
}

// startWebUI runs the UI on the reserved port and waits until it accepts
// connections. The UI's Start blocks and ends the process on a listen error,
// which is why the port was checked when it was reserved.
func startWebUI(ctx context.Context, port *plannedPort, frontend, namespace string) (*webUI, error) {
	origins := []string{"http://" + port.dial}
	if port.bindHost == loopback {
		origins = append(origins, "http://"+hostPort("localhost", port.port))
	}
	cfg := &uiconfig.Config{
		Host:                port.bindHost,
		Port:                port.port,
		TemporalGRPCAddress: frontend,
		EnableUI:            true,
		DefaultNamespace:    namespace,
		CORS: uiconfig.CORS{
			AllowOrigins: origins,
			// The CSRF cookie is marked Secure otherwise, and browsers drop
			// Secure cookies on plain http.
			CookieInsecure: true,
		},
		// There is no network to fetch release news from.
		DisableNewsFetch:   true,
		NotifyOnNewVersion: false,
		// The UI logs every request to stdout, over the developer's own logs.
		HideLogs: true,
	}
	srv := uiserver.NewServer(server_options.WithConfigProvider(cfg))

	ui := &webUI{srv: srv, done: make(chan struct{})}
	port.release()
	go func() {
		defer close(ui.done)
		_ = srv.Start()
	}()

	if err := waitForListener(ctx, port.dial, ui.done); err != nil {
		_ = ui.stop()
		return nil, fmt.Errorf("temporal ui: %w", err)
	}
	return ui, nil
}

// stop closes the UI's listener and waits for its Start to return. The UI
// keeps the gRPC connection it opened to the frontend (it has no way to close
// it); that connection only idles once the frontend is gone.
func (u *webUI) stop() error {
	u.srv.Stop()
	<-u.done
	return nil
}

// waitForListener dials addr until it accepts or the server goroutine ends.
func waitForListener(ctx context.Context, addr string, done <-chan struct{}) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, readyTimeout)
		defer cancel()
	}
	var d net.Dialer
	for {
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			_ = conn.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not listening: %w", addr, ctx.Err())
		case <-done:
			return fmt.Errorf("%s: server ended before listening", addr)
		case <-time.After(10 * time.Millisecond):
		}
	}
}
