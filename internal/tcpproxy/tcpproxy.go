// Package tcpproxy is a TCP proxy for tests that cut a client off from its
// server the ways real outages do: a server that stops answering while its
// connections stay open (a process stopped with SIGSTOP, a frozen host, a
// network that drops packets) and one that is gone (a killed process,
// connections reset, new ones refused).
//
// Point the client at Addr instead of the server; the proxy forwards every
// connection to the target until told otherwise.
package tcpproxy

import (
	"net"
	"sync"
)

// Proxy forwards connections from its address to a target.
type Proxy struct {
	target string
	addr   string

	mu     sync.Mutex
	moving *sync.Cond // signalled when paused or links change
	ln     net.Listener
	paused bool
	links  map[*link]struct{}
}

// link is one proxied connection: the client's and the server's side.
type link struct {
	client, server net.Conn
	closed         bool
}

// Start listens on a free port of 127.0.0.1 and forwards every connection
// to target (host:port).
func Start(target string) (*Proxy, error) {
	p := &Proxy{target: target, links: map[*link]struct{}{}}
	p.moving = sync.NewCond(&p.mu)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	return p, nil
}

// Addr is the proxy's host:port, the same across Kill and Restart.
func (p *Proxy) Addr() string { return p.addr }

// Pause stops moving bytes in either direction. Connections stay open and
// new ones are accepted, but nothing reaches the other side until Resume:
// to the client the server looks alive and silent.
func (p *Proxy) Pause() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paused = true
}

// Resume moves bytes again, the ones held back first.
func (p *Proxy) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paused = false
	p.moving.Broadcast()
}

// Kill closes every connection and the listener, so that new connections
// are refused until Restart.
func (p *Proxy) Kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for l := range p.links {
		p.closeLink(l)
	}
	p.paused = false
	p.moving.Broadcast()
}

// Restart listens on the same address again after Kill.
func (p *Proxy) Restart() error {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		return err
	}
	p.serve(ln)
	return nil
}

// Close kills the proxy for good.
func (p *Proxy) Close() { p.Kill() }

func (p *Proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			go p.forward(client)
		}
	}()
}

func (p *Proxy) forward(client net.Conn) {
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	l := &link{client: client, server: server}
	p.mu.Lock()
	p.links[l] = struct{}{}
	p.mu.Unlock()
	go p.copy(l, l.server, l.client)
	p.copy(l, l.client, l.server)
}

// copy moves bytes from src to dst, each chunk once the proxy is not
// paused, until either side closes or the link is killed.
func (p *Proxy) copy(l *link, dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.waitMoving(l) {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				err = werr
			}
		}
		if err != nil {
			// One side closed or failed: so does the link, as a
			// connection through a real network would.
			p.mu.Lock()
			p.closeLink(l)
			p.mu.Unlock()
			return
		}
	}
}

// waitMoving blocks while the proxy is paused; it reports false once the
// link is closed.
func (p *Proxy) waitMoving(l *link) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.paused && !l.closed {
		p.moving.Wait()
	}
	return !l.closed
}

// closeLink closes both sides of l; p.mu is held.
func (p *Proxy) closeLink(l *link) {
	if l.closed {
		return
	}
	l.closed = true
	l.client.Close()
	l.server.Close()
	delete(p.links, l)
	p.moving.Broadcast()
}

// StartOn is Start on a given address (host:port), for a proxy that runs
// as a process of its own (`stocking tcpproxy`).
func StartOn(listen, target string) (*Proxy, error) {
	p := &Proxy{target: target, links: map[*link]struct{}{}}
	p.moving = sync.NewCond(&p.mu)
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, err
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	return p, nil
}
