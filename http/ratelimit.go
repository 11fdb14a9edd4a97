package http

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/saldo-mx/saldo"
)

// rateLimiter is a token bucket per partner: each partner may make rate requests a second on
// average, and burst at once.
type rateLimiter struct {
	rate    float64 // tokens a second
	burst   float64
	mu      sync.Mutex
	buckets map[int64]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(rate float64, burst int) *rateLimiter {
	return &rateLimiter{rate: rate, burst: float64(max(burst, 1)), buckets: map[int64]*bucket{}}
}

// take spends one of partner id's tokens at now; when there is none it returns how long until
// there is one.
func (l *rateLimiter) take(id int64, now time.Time) (wait time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, found := l.buckets[id]
	if !found {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[id] = b
	}
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = min(l.burst, b.tokens+elapsed*l.rate)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return 0, true
	}
	return time.Duration((1 - b.tokens) / l.rate * float64(time.Second)), false
}

// retryAfterError is a refusal that says when to come back.
type retryAfterError struct {
	err   error
	after time.Duration
}

func (e *retryAfterError) Error() string { return e.err.Error() }
func (e *retryAfterError) Unwrap() error { return e.err }

// retryAfterHeader is the Retry-After value for a wait: whole seconds, at least one.
func retryAfterHeader(wait time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(wait.Seconds()))))
}

// limit spends a request of partner e's budget, or refuses it with 429.
func (s *Server) limit(e *saldo.Partner) error {
	if s.limiter == nil {
		return nil
	}
	wait, ok := s.limiter.take(e.ID, s.svc.Now())
	if ok {
		return nil
	}
	return withStatus(http.StatusTooManyRequests, &retryAfterError{err: saldo.Errorf(saldo.ERATELIMITED), after: wait})
}
