package http

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/saldo-mx/saldo"
)

// ConfigureServer sets on hs the timeouts and limits saldo serves with, and has hs pass
// "OPTIONS *" to the handler instead of answering it itself. Serve it on s.Listener(ln), so that
// the answers net/http still writes itself are in the envelope too.
func ConfigureServer(hs *http.Server) {
	hs.ReadHeaderTimeout = 5 * time.Second
	hs.ReadTimeout = 30 * time.Second
	hs.WriteTimeout = 60 * time.Second
	hs.IdleTimeout = 120 * time.Second
	// Above MaxHeaderBytes, so that the middleware refuses headers between the two with the
	// route known; net/http refuses larger ones before any handler runs.
	hs.MaxHeaderBytes = MaxHeaderBytes + 16<<10
	hs.DisableGeneralOptionsHandler = true
}

// Listener wraps ln so that the answers net/http writes itself, before any handler runs (a
// malformed request line or header, headers too large to read, an unsupported protocol,
// Transfer-Encoding or Expect), go out in the envelope of the request's path with an
// X-Request-Id, and are logged and counted like the handler's answers.
func (s *Server) Listener(ln net.Listener) net.Listener {
	return &refusalListener{Listener: ln, s: s}
}

type refusalListener struct {
	net.Listener
	s *Server
}

func (l *refusalListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &refusalConn{Conn: c, s: l.s}, nil
}

// maxLine is how much of a request line a connection keeps to tell the request's path.
const maxLine = 4 << 10

// refusalConn is one connection of a refusalListener. It keeps the request line of the request
// being read, and rewrites net/http's own refusals.
type refusalConn struct {
	net.Conn
	s        *Server
	mu       sync.Mutex // net/http may read in the background while a handler writes
	line     []byte     // the start of the current request's line
	lineDone bool
}

func (c *refusalConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.mu.Lock()
		if !c.lineDone {
			chunk := b[:n]
			if i := bytes.IndexByte(chunk, '\n'); i >= 0 {
				chunk, c.lineDone = chunk[:i], true
			}
			c.line = append(c.line, chunk[:min(len(chunk), maxLine-len(c.line))]...)
			c.lineDone = c.lineDone || len(c.line) == maxLine
		}
		c.mu.Unlock()
	}
	return n, err
}

func (c *refusalConn) Write(b []byte) (int, error) {
	if !bytes.HasPrefix(b, []byte("HTTP/1.")) {
		return c.Conn.Write(b)
	}
	// The start of an answer: the next bytes read are the next request's.
	c.mu.Lock()
	line := c.line
	c.line, c.lineDone = nil, false
	c.mu.Unlock()
	status, ok := netHTTPRefusal(b)
	if !ok {
		return c.Conn.Write(b)
	}
	if _, err := c.Conn.Write(c.s.refusal(status, string(bytes.TrimSuffix(line, []byte("\r"))))); err != nil {
		return 0, err
	}
	return len(b), nil
}

// CloseWrite lets net/http half-close the connection after a 431, as it does a TCP one.
func (c *refusalConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// netHTTPRefusal tells whether b is an answer net/http wrote itself, and its status: a 4xx or
// 5xx head without the X-Request-Id that the middleware puts on every answer of the handler,
// on a connection net/http then closes.
func netHTTPRefusal(b []byte) (int, bool) {
	const proto = "HTTP/1.1 "
	end := bytes.Index(b, []byte("\r\n\r\n"))
	if !bytes.HasPrefix(b, []byte(proto)) || end < 0 {
		return 0, false
	}
	head := b[:end+2]
	if bytes.Contains(head, []byte("\r\nX-Request-Id:")) || !bytes.Contains(head, []byte("\r\nConnection: close\r\n")) {
		return 0, false
	}
	status, err := strconv.Atoi(string(b[len(proto) : len(proto)+3]))
	if err != nil || status < 400 || status > 599 {
		return 0, false
	}
	return status, true
}

// refusalHints name, by status, what net/http refused.
var refusalHints = map[int]string{
	http.StatusRequestHeaderFieldsTooLarge: "headers:too_large",
	http.StatusExpectationFailed:           "expect:unsupported",
	http.StatusNotImplemented:              "transfer_encoding:unsupported",
	http.StatusHTTPVersionNotSupported:     "protocol:unsupported",
}

// refusal is the whole answer to a request net/http refused with status: code 4400 with a
// hint, in the envelope of the path on its request line (style A when none can be read), on a
// connection that closes. It is logged and counted as the middleware does its answers.
func (s *Server) refusal(status int, line string) []byte {
	method, target, _ := strings.Cut(line, " ")
	target, _, _ = strings.Cut(target, " ")
	path := target
	if u, err := url.ParseRequestURI(target); err == nil {
		path = u.Path
	}
	info := &requestInfo{id: requestID("")}
	r := (&http.Request{Method: method, URL: &url.URL{Path: path}, Header: http.Header{}}).
		WithContext(context.WithValue(context.Background(), requestInfoKey{}, info))
	hint, ok := refusalHints[status]
	if !ok {
		hint = "request:malformed"
	}
	info.err = withStatus(status, saldo.Errorf(saldo.EBADREQUEST, hint))
	_, body := s.errorResponse(r, info.err)

	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nX-Request-Id: %s\r\nDate: %s\r\n"+
		"Content-Length: %d\r\nConnection: close\r\n\r\n", status, http.StatusText(status), info.id,
		time.Now().UTC().Format(http.TimeFormat), len(body))
	b.Write(body)

	// The method as the metrics label it: the line is whatever the client sent.
	s.log.LogAttrs(context.Background(), slog.LevelInfo, "request", slog.String("request_id", info.id),
		slog.String("method", methodLabel(method)), slog.String("route", ""), slog.Int("status", status),
		slog.Any("hints", []string{hint}))
	s.metrics.observe(r, status, 0, info.err)
	return b.Bytes()
}
