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
	stop := time.Now().Add(400 * time.Millisecond)
	var mu sync.Mutex
	seq := uint64(0)
	for range 4 * runtime.GOMAXPROCS(0) {
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
	time.Sleep(300 * time.Millisecond)
	load.Busy()
	time.Sleep(60 * time.Millisecond)
	busy := load.Busy()
	wg.Wait()
	if !busy {
		t.Errorf("Busy() under %d clients creating customers = false, want true", 4*runtime.GOMAXPROCS(0))
	}
	load.Busy()
	time.Sleep(60 * time.Millisecond)
	if load.Busy() {
		t.Error("Busy() a whole window after the last request = true, want false")
	}
}
