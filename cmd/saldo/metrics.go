package main

import (
	"database/sql"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/postgres"
	"github.com/saldo-mx/saldo/sqlite"
	"github.com/saldo-mx/saldo/webhooks"
)

// groupCommitCounters are the counters of group commit, each a field of saldo.GroupStats.
var groupCommitCounters = []struct {
	name, help string
	stat       func(saldo.GroupStats) int64
}{
	{"saldo_group_commits_total", "Transactions that committed writes of a kind that group-commits.",
		func(g saldo.GroupStats) int64 { return g.Commits }},
	{"saldo_group_writes_total", "Writes committed by those transactions: over saldo_group_commits_total, the writes a commit.",
		func(g saldo.GroupStats) int64 { return g.Writes }},
	{"saldo_group_splits_total", "Batches that failed whole and whose writes ran again one by one.",
		func(g saldo.GroupStats) int64 { return g.Split }},
	{"saldo_group_whole_total", "Batches committed whole, without savepoints, their rows sent as one INSERT a table.",
		func(g saldo.GroupStats) int64 { return g.Whole }},
	{"saldo_group_ahead_total", "Batches of transfers committed with the reads of all their writes sent ahead, together.",
		func(g saldo.GroupStats) int64 { return g.Ahead }},
}

// registerGroupCommitMetrics exports what group commit has done, by kind of write.
func registerGroupCommitMetrics(reg prometheus.Registerer, svc *saldo.Service) {
	kinds := []struct {
		label string
		stats func(saldo.GroupStatsByKind) saldo.GroupStats
	}{
		{"create", func(k saldo.GroupStatsByKind) saldo.GroupStats { return k.Creates }},
		{"movement", func(k saldo.GroupStatsByKind) saldo.GroupStats { return k.Movements }},
		{"credit_line", func(k saldo.GroupStatsByKind) saldo.GroupStats { return k.CreditLines }},
	}
	for _, kind := range kinds {
		for _, c := range groupCommitCounters {
			reg.MustRegister(prometheus.NewCounterFunc(
				prometheus.CounterOpts{Name: c.name, Help: c.help, ConstLabels: prometheus.Labels{"kind": kind.label}},
				func() float64 { return float64(c.stat(kind.stats(svc.GroupCommitStats()))) }))
		}
	}
}

// registerDeliveryMetrics exports what the webhook deliverer has done.
func registerDeliveryMetrics(reg prometheus.Registerer, st *webhooks.Stats) {
	reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "saldo_webhooks_attempts_total",
			Help: "Webhook attempts sent by this process."}, func() float64 { return float64(st.Attempts()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "saldo_webhooks_yield_seconds_total",
			Help: "Time webhook attempts waited, in all, for a busy API (see --webhooks-busy-rate)."},
			func() float64 { return st.Yielded().Seconds() }),
	)
}

// newRegistry returns the registry /metrics serves: the Go runtime, the process, and the
// database pool of store.
func newRegistry(store saldo.Store) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	gauge := func(name, help string, labels prometheus.Labels, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: labels}, f)
	}
	counter := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f)
	}
	switch s := store.(type) {
	case *postgres.Store:
		pool := s.Pool()
		reg.MustRegister(
			gauge("saldo_db_connections", "Database connections by state.", prometheus.Labels{"state": "acquired"},
				func() float64 { return float64(pool.Stat().AcquiredConns()) }),
			gauge("saldo_db_connections", "Database connections by state.", prometheus.Labels{"state": "idle"},
				func() float64 { return float64(pool.Stat().IdleConns()) }),
			gauge("saldo_db_connections_max", "The largest number of database connections.", nil,
				func() float64 { return float64(pool.Stat().MaxConns()) }),
			counter("saldo_db_acquires_total", "Connections taken from the pool.",
				func() float64 { return float64(pool.Stat().AcquireCount()) }),
			counter("saldo_db_acquires_waited_total", "Connections taken after waiting for one to be free or made.",
				func() float64 { return float64(pool.Stat().EmptyAcquireCount()) }),
			counter("saldo_db_acquire_wait_seconds_total", "Time spent taking connections from the pool.",
				func() float64 { return pool.Stat().AcquireDuration().Seconds() }),
			counter("saldo_db_transaction_retries_total", "Transactions run again after a serialization failure or deadlock.",
				func() float64 { return float64(s.Retries()) }),
		)
	case *sqlite.Store:
		write, read := s.Stats()
		stat := func(pool func() sql.DBStats, f func(sql.DBStats) float64) func() float64 {
			return func() float64 { return f(pool()) }
		}
		for name, pool := range map[string]func() sql.DBStats{"write": write, "read": read} {
			labels := prometheus.Labels{"pool": name}
			reg.MustRegister(
				gauge("saldo_db_connections_in_use", "Database connections in use by pool.", labels,
					stat(pool, func(st sql.DBStats) float64 { return float64(st.InUse) })),
				gauge("saldo_db_connections_idle", "Idle database connections by pool.", labels,
					stat(pool, func(st sql.DBStats) float64 { return float64(st.Idle) })),
				prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "saldo_db_wait_seconds_total",
					Help: "Time spent waiting for a connection by pool.", ConstLabels: labels},
					stat(pool, func(st sql.DBStats) float64 { return st.WaitDuration.Seconds() })),
			)
		}
	}
	return reg
}
