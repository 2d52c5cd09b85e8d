package e2etest

import (
	"bytes"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Proxy forwards TCP connections to a server. Down closes every connection
// and refuses new ones until Up: to the client, the server has gone away, as
// in a restart, without disturbing the shared server or its other users.
// LoseReplyTo makes the server's answer to a given request vanish: the
// request reaches the server and takes effect, the client sees its
// connection drop instead of the answer.
type Proxy struct {
	ln      net.Listener
	target  string
	mu      sync.Mutex
	down    bool
	conns   map[net.Conn]bool
	wg      sync.WaitGroup
	trigger atomic.Pointer[[]byte]
	fired   atomic.Int32
}

// NewProxy starts a proxy to target on a loopback port, stopped when t ends.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// Addr is the proxy's host:port, for the client to dial instead of target.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		if !p.track(c, s) {
			continue
		}
		var lose atomic.Bool
		p.wg.Add(2)
		go p.pipe(s, c, func(b []byte) {
			if t := p.trigger.Load(); t != nil && bytes.Contains(b, *t) && p.trigger.CompareAndSwap(t, nil) {
				lose.Store(true)
				p.fired.Add(1)
				// Give the server time to act on the request, then drop the line.
				time.AfterFunc(300*time.Millisecond, func() { c.Close(); s.Close() })
			}
		}, nil)
		go p.pipe(c, s, nil, &lose)
	}
}

// track records a connection pair, or closes it when the proxy went down
// while it was being dialed.
func (p *Proxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		for _, c := range cs {
			c.Close()
		}
		return false
	}
	for _, c := range cs {
		p.conns[c] = true
	}
	return true
}

// pipe copies src to dst, showing each chunk to inspect first, and dropping
// it instead while lose is set.
func (p *Proxy) pipe(dst, src net.Conn, inspect func([]byte), lose *atomic.Bool) {
	defer p.wg.Done()
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if inspect != nil {
				inspect(buf[:n])
			}
			if lose == nil || !lose.Load() {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// LoseReplyTo arms the proxy: the next request containing pattern reaches
// the server, but its reply is dropped and the connection closed.
func (p *Proxy) LoseReplyTo(pattern string) {
	b := []byte(pattern)
	p.trigger.Store(&b)
}

// Fired is how many replies LoseReplyTo made vanish.
func (p *Proxy) Fired() int { return int(p.fired.Load()) }

// Down cuts every connection and refuses new ones.
func (p *Proxy) Down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// Up accepts connections again.
func (p *Proxy) Up() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

func (p *Proxy) close() {
	p.ln.Close()
	p.Down()
	p.wg.Wait()
}
