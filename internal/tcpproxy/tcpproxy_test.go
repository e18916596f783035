package tcpproxy

import (
	"bufio"
	"net"
	"testing"
	"time"
)

// echo starts a server that answers each line with the same line.
func echo(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					c.Write([]byte(line))
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// roundTrip sends a line and waits up to d for its echo.
func roundTrip(c net.Conn, d time.Duration) error {
	c.SetDeadline(time.Now().Add(d))
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return err
	}
	_, err := bufio.NewReader(c).ReadString('\n')
	return err
}

func TestPauseResumeKillRestart(t *testing.T) {
	p, err := Start(echo(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := roundTrip(c, time.Second); err != nil {
		t.Fatalf("through the proxy: %v", err)
	}

	p.Pause()
	if err := roundTrip(c, 200*time.Millisecond); err == nil {
		t.Fatal("an answer came through a paused proxy")
	}
	// The connection stays open; what was sent arrives after Resume.
	p.Resume()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := bufio.NewReader(c).ReadString('\n'); err != nil {
		t.Fatalf("after resume: %v", err)
	}

	p.Kill()
	if err := roundTrip(c, time.Second); err == nil {
		t.Fatal("a connection survived Kill")
	}
	if d, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		d.Close()
		t.Fatal("a killed proxy accepted a connection")
	}

	if err := p.Restart(); err != nil {
		t.Fatal(err)
	}
	c2, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := roundTrip(c2, time.Second); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}
