package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/stocking-kr/stocking/internal/tcpproxy"
)

// runTCPProxy forwards connections from -listen to -target until it is
// stopped: the outage drill puts it between the API and the database and
// kills it to cut the database off. It is left out of the usage text.
func runTCPProxy(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("tcpproxy", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	target := fs.String("target", "", "host:port to forward to")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *target == "" {
		return errors.New("tcpproxy: -target is required")
	}
	p, err := tcpproxy.StartOn(*listen, *target)
	if err != nil {
		return err
	}
	defer p.Close()
	fmt.Fprintf(out, "forwarding %s to %s\n", p.Addr(), *target)
	<-ctx.Done()
	return nil
}
