package http

import (
	"runtime"
	"sync"
	"time"
)

// Load measures how busy the API is: the mean number of requests in flight over the last
// window. Work that can wait (webhook delivery) asks it whether to yield the CPUs to the API.
// Its zero value is not usable; use NewLoad.
type Load struct {
	window time.Duration
	cpus   time.Duration // the mean in flight from which the API is busy

	mu       sync.Mutex
	inflight int
	at       time.Time     // when inflight last changed, or the area was last taken
	area     time.Duration // ∫ inflight dt up to at
	sampleAt time.Time     // the start of the window Busy last judged
	sampled  time.Duration // the area then
	busy     bool
}

// NewLoad returns a Load judged over windows of the given length (100 ms when zero).
func NewLoad(window time.Duration) *Load {
	if window <= 0 {
		window = 100 * time.Millisecond
	}
	now := time.Now()
	return &Load{window: window, cpus: time.Duration(runtime.GOMAXPROCS(0)), at: now, sampleAt: now}
}

// WithLoad counts every request the Server answers in l.
func WithLoad(l *Load) Option {
	return func(s *Server) { s.load = l }
}

// add moves the requests in flight by delta at now; l.mu is held.
func (l *Load) add(delta int, now time.Time) {
	if now.After(l.at) {
		l.area += time.Duration(l.inflight) * now.Sub(l.at)
		l.at = now
	}
	l.inflight += delta
}

func (l *Load) begin() {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.add(1, time.Now())
	l.mu.Unlock()
}

func (l *Load) end() {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.add(-1, time.Now())
	l.mu.Unlock()
}

// Busy reports whether, over the last whole window, the API had on average at least as many
// requests in flight as the process has CPUs (GOMAXPROCS): requests are then queueing for the
// CPUs or the database, and work that can wait should. A lightly loaded API (200 requests a
// second of 5 ms each is one in flight) is not busy.
func (l *Load) Busy() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if elapsed := now.Sub(l.sampleAt); elapsed >= l.window {
		l.add(0, now)
		l.busy = l.area-l.sampled >= l.cpus*elapsed
		l.sampleAt, l.sampled = now, l.area
	}
	return l.busy
}
