package http_test

import (
	"runtime"
	"sync"
	"testing"
	"time"

	saldohttp "github.com/saldo-mx/saldo/http"
	"github.com/saldo-mx/saldo/internal/testdb"
)

// A Server's Load sees the requests it answers: busy under more concurrent creates than CPUs,
// not busy once they stop.
func TestServerLoadSeesItsRequests(t *testing.T) {
	load := saldohttp.NewLoad(50 * time.Millisecond)
	h := harnessOn(t, testdb.Engines()[0].Open(t), serving{opts: []saldohttp.Option{saldohttp.WithLoad(load)}})
	if load.Busy() {
		t.Fatal("Busy() before any request = true")
	}
	var wg sync.WaitGroup
	stop := time.Now().Add(600 * time.Millisecond)
	var mu sync.Mutex
	seq := uint64(0)
	clients := 16 * runtime.GOMAXPROCS(0)
	for range clients {
		wg.Go(func() {
			for time.Now().Before(stop) {
				mu.Lock()
				seq++
				n := seq
				mu.Unlock()
				h.create(n)
			}
		})
	}
	// Judged a window at a time while the load lasts: on a loaded machine (CI, -race) a
	// window can pass with the clients outside the server.
	busy := false
	for time.Now().Add(60 * time.Millisecond).Before(stop) {
		time.Sleep(60 * time.Millisecond)
		busy = busy || load.Busy()
	}
	wg.Wait()
	if !busy {
		t.Errorf("Busy() under %d clients creating customers = false in every window, want true", clients)
	}
	load.Busy()
	time.Sleep(60 * time.Millisecond)
	if load.Busy() {
		t.Error("Busy() a whole window after the last request = true, want false")
	}
}
