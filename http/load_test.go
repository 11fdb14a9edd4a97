package http

import (
	"runtime"
	"testing"
	"time"
)

// The API is busy over a window when it had, on average, as many requests in flight as the
// process has CPUs; fewer, or none, is not busy.
func TestLoadIsBusyWithAsManyRequestsInFlightAsCPUs(t *testing.T) {
	cpus := runtime.GOMAXPROCS(0)
	tests := []struct {
		name     string
		inflight int
		want     bool
	}{
		{"idle", 0, false},
		{"fewer than the CPUs", cpus - 1, false},
		{"as many as the CPUs", cpus, true},
		{"more than the CPUs", 3 * cpus, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLoad(20 * time.Millisecond)
			for range tt.inflight {
				l.begin()
			}
			// The first window began before the requests: the second is theirs alone.
			time.Sleep(30 * time.Millisecond)
			l.Busy()
			time.Sleep(30 * time.Millisecond)
			if got := l.Busy(); got != tt.want {
				t.Errorf("Busy() with %d of %d CPUs' requests in flight = %v, want %v", tt.inflight, cpus, got, tt.want)
			}
			for range tt.inflight {
				l.end()
			}
			time.Sleep(30 * time.Millisecond)
			if l.Busy() {
				t.Error("Busy() after a whole window with no request in flight = true, want false")
			}
		})
	}
}
