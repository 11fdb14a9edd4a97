//go:build ignore

// receiver.go is the webhook receiver of bench/webhooks.sh: it answers every POST at once with
// 204 and counts it, by webhook-id and path (each benchmark endpoint has its own path, so the
// pair is one delivery of one event to one endpoint). Standard library only.
//
//	go run bench/receiver.go -addr 127.0.0.1:0   # prints "listening ADDR" on stdout
//
// GET /stats answers, as JSON: requests (every POST), distinct (webhook-id × path pairs),
// duplicates (requests - distinct), missing_id (POSTs without a webhook-id), first_ns and
// last_ns (Unix nanoseconds of the first and last POST since the last reset), and per_s
// (distinct over the span first to last). POST /reset forgets everything.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"time"
)

type key struct{ id, path string }

type counter struct {
	mu        sync.Mutex
	seen      map[key]struct{}
	requests  int64
	missingID int64
	first     time.Time
	last      time.Time
}

func (c *counter) hook(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	id := r.Header.Get("webhook-id")
	now := time.Now()
	c.mu.Lock()
	c.requests++
	if id == "" {
		c.missingID++
	} else {
		c.seen[key{id, r.URL.Path}] = struct{}{}
	}
	if c.first.IsZero() {
		c.first = now
	}
	c.last = now
	c.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (c *counter) stats(w http.ResponseWriter, _ *http.Request) {
	c.mu.Lock()
	distinct := int64(len(c.seen))
	out := map[string]any{"requests": c.requests, "distinct": distinct, "duplicates": c.requests - c.missingID - distinct,
		"missing_id": c.missingID, "first_ns": unixNano(c.first), "last_ns": unixNano(c.last), "per_s": 0.0}
	if span := c.last.Sub(c.first).Seconds(); span > 0 {
		out["per_s"] = float64(distinct) / span
	}
	c.mu.Unlock()
	w.Header().Set("content-type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

func (c *counter) reset(w http.ResponseWriter, _ *http.Request) {
	c.mu.Lock()
	c.seen, c.requests, c.missingID, c.first, c.last = map[key]struct{}{}, 0, 0, time.Time{}, time.Time{}
	c.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()
	c := &counter{seen: map[key]struct{}{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stats", c.stats)
	mux.HandleFunc("POST /reset", c.reset)
	mux.HandleFunc("POST /", c.hook)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening %s\n", ln.Addr())
	log.Fatal((&http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}).Serve(ln))
}
