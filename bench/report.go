//go:build ignore

// report.go turns bench/run.sh's raw measurements (one JSON object a line) into
// bench/results.json and the generated section of BENCHMARKS.md, between the markers
// <!-- bench:begin --> and <!-- bench:end --> (prose around them survives; without them the
// section is appended).
//
//	go run bench/report.go -raw raw.jsonl -results bench/results.json -md BENCHMARKS.md -pg "$(psql -Atc 'SELECT version()')"
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	beginMarker = "<!-- bench:begin -->"
	endMarker   = "<!-- bench:end -->"
)

// line is one raw measurement; which fields are set depends on Kind.
type line struct {
	Kind     string    `json:"kind"`
	Engine   string    `json:"engine"`
	C        int       `json:"c"`
	Run      int       `json:"run"`
	Exit     int       `json:"exit"`
	What     string    `json:"what"`
	Cmd      string    `json:"cmd"`
	TPS      float64   `json:"tps"`
	Txns     float64   `json:"transactions"`
	PgTPS    float64   `json:"pgbench_tps"`  // pgbench's own figure, warm-up included
	Client   float64   `json:"client_ticks"` // CPU ticks of the load generator (saldo-load or pgbench)
	Quiet    float64   `json:"quiet_pct"`    // the machine's busy percentage in the second before the run
	Failed   int64     `json:"failed"`
	LatAvgMS float64   `json:"latency_avg_ms"`
	CPUTicks float64   `json:"cpu_ticks"`
	ClkTck   float64   `json:"clk_tck"`
	Busy     []float64 `json:"busy"`
	BusyEnd  []float64 `json:"busy_end"`
	VmHWMKB  int64     `json:"vmhwm_kb"`
	VmRSSKB  int64     `json:"vmrss_kb"`
	Rows     int64     `json:"customers"`
	Mode     string    `json:"mode"` // the transfer lines': random or hot
	// The cluster's WAL flushes (pg_stat_wal.wal_sync) during the run; absent in older lines.
	WalSync *float64 `json:"wal_sync"`
	// The server's group-commit counters [commits, writes, splits] before and after the run.
	Group [][]float64 `json:"group"`
	// The ref_rows line's: the rows create.sql and create_one.sql each added, by table and kind.
	RefRows map[string]map[string]int64 `json:"ref_rows"`
	Setup   *struct {
		Wallets int `json:"wallets"`
		Setup   *struct {
			ElapsedSeconds float64 `json:"elapsed_s"`
		} `json:"setup"`
	} `json:"setup"`
	Ledger *LedgerCheck `json:"ledger"`
	Report *struct {
		Sent             int64              `json:"sent"`
		OK               int64              `json:"ok"`
		Errors           int64              `json:"errors"`
		ElapsedSeconds   float64            `json:"elapsed_s"`
		CreatesPerSecond float64            `json:"creates_per_s"`
		TransfersPerS    float64            `json:"transfers_per_s"`
		HotBalanceAfter  int64              `json:"hot_balance_after"`
		Latency          map[string]float64 `json:"latency_ms"`
		ErrorsBy         map[string]int64   `json:"errors_by"`
		Verify           *struct {
			Expected   int64 `json:"expected"`
			Checked    int64 `json:"checked"`
			Missing    int64 `json:"missing"`
			Mismatched int64 `json:"mismatched"`
			Errors     int64 `json:"errors"`
		} `json:"verify"`
	} `json:"report"`
}

// busyShare is the machine's busy share of CPU time between the two /proc/stat samples.
func (l *line) busyShare() float64 {
	if len(l.Busy) != 2 || len(l.BusyEnd) != 2 || l.BusyEnd[1] <= l.Busy[1] {
		return 0
	}
	return (l.BusyEnd[0] - l.Busy[0]) / (l.BusyEnd[1] - l.Busy[1])
}

// Point is the figures at one concurrency: medians over the runs, and the runs themselves.
type Point struct {
	Concurrency int `json:"concurrency"`

	ReferenceTPS       []float64 `json:"reference_tps,omitempty"`
	ReferenceTPSMedian float64   `json:"reference_tps_median,omitempty"`
	ReferenceFailed    int64     `json:"reference_failed"`
	ReferenceLatencyMS float64   `json:"reference_latency_avg_ms_median,omitempty"`
	// pgbench's own tps, warm-up and connecting included; ReferenceTPS is the steady state.
	ReferencePgbenchTPS float64 `json:"reference_pgbench_tps_median,omitempty"`
	ReferenceBusy       float64 `json:"reference_machine_busy_median,omitempty"`

	SaldoCreatesPerS       []float64        `json:"saldo_creates_per_s"`
	SaldoCreatesPerSMedian float64          `json:"saldo_creates_per_s_median"`
	Ratio                  float64          `json:"ratio,omitempty"` // saldo / reference, of the medians
	P50MS                  float64          `json:"saldo_p50_ms"`
	P95MS                  float64          `json:"saldo_p95_ms"`
	P99MS                  float64          `json:"saldo_p99_ms"`
	P99MSRuns              []float64        `json:"saldo_p99_ms_runs"`
	MaxMS                  float64          `json:"saldo_max_ms"`
	Errors                 int64            `json:"saldo_errors"`
	ErrorsBy               map[string]int64 `json:"saldo_errors_by,omitempty"`
	CPUMSPerCreate         float64          `json:"server_cpu_ms_per_create"`
	SaldoBusy              float64          `json:"saldo_machine_busy_median"`   // share of the machine's CPU time busy, any process
	ServerShare            float64          `json:"server_machine_share_median"` // share of the machine's CPU time the saldo server used
	PeakRSSMiB             float64          `json:"server_peak_rss_mib"`

	// The machine's busy share in the second before each run (others' work on a shared
	// machine), and the load generators' CPU per transaction or create.
	ReferenceBefore      float64 `json:"reference_machine_busy_before_median"`
	SaldoBefore          float64 `json:"saldo_machine_busy_before_median"`
	ReferenceClientCPUMS float64 `json:"pgbench_cpu_ms_per_transaction"`
	SaldoClientCPUMS     float64 `json:"saldo_load_cpu_ms_per_create"`

	// The one-round-trip reference, bench/create_one.sql: the same rows as one statement in
	// autocommit.
	ReferenceOneTPS         []float64 `json:"reference_one_tps,omitempty"`
	ReferenceOneTPSMedian   float64   `json:"reference_one_tps_median,omitempty"`
	ReferenceOneFailed      int64     `json:"reference_one_failed"`
	ReferenceOneLatencyMS   float64   `json:"reference_one_latency_avg_ms_median,omitempty"`
	ReferenceOneBusy        float64   `json:"reference_one_machine_busy_median,omitempty"`
	ReferenceOneClientCPUMS float64   `json:"pgbench_one_cpu_ms_per_transaction,omitempty"`
	RatioOne                float64   `json:"ratio_one,omitempty"` // saldo / one-round-trip reference, of the medians

	// WAL flushes (pg_stat_wal.wal_sync) per transaction or successful create, medians.
	ReferenceWALPerOp    float64 `json:"reference_wal_syncs_per_transaction,omitempty"`
	ReferenceOneWALPerOp float64 `json:"reference_one_wal_syncs_per_transaction,omitempty"`
	SaldoWALPerOp        float64 `json:"saldo_wal_syncs_per_create,omitempty"`
	// Writes per commit of saldo's group commit (saldo_group_writes_total / commits), median.
	WritesPerCommit float64 `json:"saldo_writes_per_commit,omitempty"`
	Splits          int64   `json:"saldo_group_splits"`

	// saldo with group commit off (--group-commit-members 1), and group commit on / off.
	Off       *OffFigures `json:"group_commit_off,omitempty"`
	OnOverOff float64     `json:"group_commit_on_over_off,omitempty"`
}

// OffFigures are saldo's figures with group commit off at a point: every write commits alone.
type OffFigures struct {
	PerS            []float64        `json:"per_s"`
	PerSMedian      float64          `json:"per_s_median"`
	P50MS           float64          `json:"p50_ms"`
	P99MS           float64          `json:"p99_ms"`
	P99MSRuns       []float64        `json:"p99_ms_runs"`
	Errors          int64            `json:"errors"`
	ErrorsBy        map[string]int64 `json:"errors_by,omitempty"`
	CPUMSPerOp      float64          `json:"server_cpu_ms_per_op"`
	ClientCPUMS     float64          `json:"saldo_load_cpu_ms_per_op"`
	WALPerOp        float64          `json:"wal_syncs_per_op,omitempty"`
	WritesPerCommit float64          `json:"writes_per_commit,omitempty"`
}

// TransferPoint is the transfer figures in one mode at one concurrency: saldo's transfers
// and the reference's (bench/transfer.sql), medians over the runs and the runs themselves.
type TransferPoint struct {
	Mode        string `json:"mode"` // random or hot
	Concurrency int    `json:"concurrency"`

	ReferenceTPS       []float64 `json:"reference_tps"`
	ReferenceTPSMedian float64   `json:"reference_tps_median"`
	ReferenceFailed    int64     `json:"reference_failed"`
	ReferenceLatencyMS float64   `json:"reference_latency_avg_ms_median"`

	SaldoPerS       []float64        `json:"saldo_transfers_per_s"`
	SaldoPerSMedian float64          `json:"saldo_transfers_per_s_median"`
	Ratio           float64          `json:"ratio,omitempty"` // saldo / reference, of the medians
	HotOverRandom   float64          `json:"hot_over_random,omitempty"`
	P50MS           float64          `json:"saldo_p50_ms"`
	P95MS           float64          `json:"saldo_p95_ms"`
	P99MS           float64          `json:"saldo_p99_ms"`
	P99MSRuns       []float64        `json:"saldo_p99_ms_runs"`
	MaxMS           float64          `json:"saldo_max_ms"`
	Errors          int64            `json:"saldo_errors"`
	ErrorsBy        map[string]int64 `json:"saldo_errors_by,omitempty"`
	CPUMSPerOp      float64          `json:"server_cpu_ms_per_transfer"`
	SaldoBusy       float64          `json:"saldo_machine_busy_median"`
	ReferenceBusy   float64          `json:"reference_machine_busy_median"`
	ServerShare     float64          `json:"server_machine_share_median"`
	HotBalanceAfter int64            `json:"hot_balance_after,omitempty"` // the hot wallet's lowest, over the runs
	// The machine's busy share in the second before each run: others' work on a shared machine.
	ReferenceBefore float64 `json:"reference_machine_busy_before_median"`
	SaldoBefore     float64 `json:"saldo_machine_busy_before_median"`

	// The load generators' CPU per transaction or transfer, WAL flushes per transaction or
	// successful transfer, and writes per commit of saldo's group commit, medians.
	ReferenceClientCPUMS float64 `json:"pgbench_cpu_ms_per_transaction,omitempty"`
	SaldoClientCPUMS     float64 `json:"saldo_load_cpu_ms_per_transfer,omitempty"`
	ReferenceWALPerOp    float64 `json:"reference_wal_syncs_per_transaction,omitempty"`
	SaldoWALPerOp        float64 `json:"saldo_wal_syncs_per_transfer,omitempty"`
	WritesPerCommit      float64 `json:"saldo_writes_per_commit,omitempty"`
	Splits               int64   `json:"saldo_group_splits"`

	// saldo with group commit off (--group-commit-members 1), and group commit on / off.
	Off       *OffFigures `json:"group_commit_off,omitempty"`
	OnOverOff float64     `json:"group_commit_on_over_off,omitempty"`
}

// LedgerCheck is bench/run.sh's SQL check of a schema's ledger after the transfer runs.
type LedgerCheck struct {
	Schema       string `json:"schema"`
	Transactions int64  `json:"transactions"`
	Transfers    int64  `json:"transfers"`
	TopUps       int64  `json:"top_ups"`
	Entries      int64  `json:"entries"`
	Unbalanced   int64  `json:"unbalanced_transactions"`
	Mismatched   int64  `json:"mismatched_balances"`
	SumOfEntries int64  `json:"sum_of_entries"`
}

// TransferChecks is what the ledger looked like after the transfer runs, against what
// saldo-load counted.
type TransferChecks struct {
	Saldo          *LedgerCheck `json:"saldo,omitempty"`
	Reference      *LedgerCheck `json:"reference,omitempty"`
	OKTransfers    int64        `json:"ok_transfers"` // every saldo-load transfers run's, warm-ups included
	Wallets        int          `json:"wallets"`
	SetupSeconds   float64      `json:"setup_s"`
	VerifyExit     *int         `json:"ledger_verify_exit,omitempty"` // saldo ledger verify, when the binary has it
	VerifyOutput   string       `json:"ledger_verify_output,omitempty"`
	SkippedBecause string       `json:"skipped_because,omitempty"`
}

// Results is bench/results.json, what bench/chart.go draws.
type Results struct {
	Generated string            `json:"generated"`
	Seconds   int               `json:"seconds"`
	Runs      int               `json:"runs"`
	Machine   map[string]string `json:"machine"`
	Commands  map[string]string `json:"commands"`
	Points    []*Point          `json:"points"`
	SQLite    *Point            `json:"sqlite,omitempty"`
	Verify    map[string]int64  `json:"verify,omitempty"`
	Rows      map[string]int64  `json:"rows,omitempty"`
	// The rows bench/create.sql and bench/create_one.sql each added over RefRowsTxns
	// transactions, by table and kind: the check that both write the same rows.
	RefRows     map[string]map[string]int64 `json:"reference_rows,omitempty"`
	RefRowsTxns int64                       `json:"reference_rows_transactions,omitempty"`

	Transfers      []*TransferPoint `json:"transfers,omitempty"`
	TransferChecks *TransferChecks  `json:"transfer_checks,omitempty"`
}

func main() {
	rawPath := flag.String("raw", "", "raw measurements from bench/run.sh (JSON lines)")
	resultsPath := flag.String("results", "bench/results.json", "results JSON to write")
	mdPath := flag.String("md", "BENCHMARKS.md", "markdown file whose generated section to replace")
	pg := flag.String("pg", "", "PostgreSQL version string")
	pgSettings := flag.String("pg-settings", "", "relevant PostgreSQL settings")
	seconds := flag.Int("seconds", 0, "BENCH_SECONDS")
	runs := flag.Int("runs", 0, "BENCH_RUNS")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("report: ")

	lines, err := readLines(*rawPath)
	if err != nil {
		log.Fatal(err)
	}
	res := build(lines)
	res.Seconds, res.Runs = *seconds, *runs
	res.Machine = machine(*pg, *pgSettings)

	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*resultsPath, append(b, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := splice(*mdPath, markdown(res)); err != nil {
		log.Fatal(err)
	}
}

func readLines(path string) ([]*line, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []*line
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for n := 1; sc.Scan(); n++ {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, n, err)
		}
		out = append(out, &l)
	}
	return out, sc.Err()
}

// build gathers the raw lines into Results: the commands, a Point for each concurrency and
// one for SQLite with the medians of their runs, the verification and the row count.
func build(lines []*line) *Results {
	b := &builder{
		res:       &Results{Generated: time.Now().UTC().Format("2006-01-02 15:04 MST"), Commands: map[string]string{}},
		points:    map[int]*Point{},
		samples:   map[*Point]*samples{},
		transfers: map[transferKey]*TransferPoint{},
		tsamples:  map[*TransferPoint]*samples{},
	}
	for _, l := range lines {
		b.add(l)
	}
	return b.results()
}

// builder is build's state while it reads the lines.
type builder struct {
	res       *Results
	points    map[int]*Point      // the PostgreSQL points by concurrency
	samples   map[*Point]*samples // the figures of each point's runs, for the medians
	okCreates int64               // successful creates of the PostgreSQL runs so far

	transfers map[transferKey]*TransferPoint
	tsamples  map[*TransferPoint]*samples
}

// transferKey names a transfer point.
type transferKey struct {
	mode string
	c    int
}

// transferPoint is the transfer point of mode at concurrency c, made at the first line for it.
func (b *builder) transferPoint(mode string, c int) (*TransferPoint, *samples) {
	k := transferKey{mode, c}
	if b.transfers[k] == nil {
		b.transfers[k] = &TransferPoint{Mode: mode, Concurrency: c}
		b.tsamples[b.transfers[k]] = &samples{}
	}
	return b.transfers[k], b.tsamples[b.transfers[k]]
}

// checks is the transfer checks, made at the first line for them.
func (b *builder) checks() *TransferChecks {
	if b.res.TransferChecks == nil {
		b.res.TransferChecks = &TransferChecks{}
	}
	return b.res.TransferChecks
}

// addTransfer takes a line of the transfer points.
func (b *builder) addTransfer(l *line) {
	switch l.Kind {
	case "transfer_reference":
		p, s := b.transferPoint(l.Mode, l.C)
		if l.TPS > 0 {
			s.refTPS = append(s.refTPS, l.TPS)
			s.refLat = append(s.refLat, l.LatAvgMS)
			s.refBusy = append(s.refBusy, l.busyShare())
			s.refBefore = append(s.refBefore, l.Quiet/100)
			s.takeRefCosts(l, &s.refClient, &s.refWAL)
		}
		p.ReferenceFailed += l.Failed
		if l.Exit != 0 && l.Failed == 0 {
			p.ReferenceFailed++
		}
	case "transfer_saldo", "transfer_warmup", "transfer_saldo_off", "transfer_warmup_off":
		r := l.Report
		if r == nil {
			log.Fatalf("a %s line without a report", l.Kind)
		}
		b.checks().OKTransfers += r.OK
		if l.Kind == "transfer_warmup" || l.Kind == "transfer_warmup_off" {
			return
		}
		p, s := b.transferPoint(l.Mode, l.C)
		if l.Kind == "transfer_saldo_off" {
			if p.Off == nil {
				p.Off = &OffFigures{}
			}
			s.offSamples().takeRun(l, r.TransfersPerS)
			addErrors(&p.Off.Errors, &p.Off.ErrorsBy, l)
			return
		}
		s.takeRun(l, r.TransfersPerS)
		if l.Mode == "hot" && r.OK > 0 && (p.HotBalanceAfter == 0 || r.HotBalanceAfter < p.HotBalanceAfter) {
			p.HotBalanceAfter = r.HotBalanceAfter
		}
		addErrors(&p.Errors, &p.ErrorsBy, l)
	case "transfer_setup":
		if l.Setup != nil {
			b.checks().Wallets = l.Setup.Wallets
			if l.Setup.Setup != nil {
				b.checks().SetupSeconds = round(l.Setup.Setup.ElapsedSeconds, 1)
			}
		}
	case "transfer_skipped":
		b.checks().SkippedBecause = l.Cmd
	case "ledger_verify":
		exit := l.Exit
		b.checks().VerifyExit, b.checks().VerifyOutput = &exit, l.Cmd
	case "ledger":
		if l.Engine == "reference" {
			b.checks().Reference = l.Ledger
		} else {
			b.checks().Saldo = l.Ledger
		}
	}
}

// transferResults sets each transfer point's medians, the hot mode's share of the random
// mode's throughput at the same concurrency, and lists them by mode, then concurrency.
func (b *builder) transferResults() {
	for p, s := range b.tsamples {
		p.ReferenceTPS = roundAll(s.refTPS, 1)
		p.ReferenceTPSMedian = round(median(s.refTPS), 1)
		p.ReferenceLatencyMS = round(median(s.refLat), 2)
		p.ReferenceBusy = round(median(s.refBusy), 2)
		p.SaldoPerS = roundAll(s.rate, 1)
		p.SaldoPerSMedian = round(median(s.rate), 1)
		if median(s.refTPS) > 0 {
			p.Ratio = round(median(s.rate)/median(s.refTPS), 2)
		}
		p.P50MS = round(median(s.p50), 2)
		p.P95MS = round(median(s.p95), 2)
		p.P99MS = round(median(s.p99), 2)
		p.P99MSRuns = roundAll(s.p99, 2)
		p.MaxMS = round(median(s.max), 2)
		p.CPUMSPerOp = round(median(s.cpu), 3)
		p.SaldoBusy = round(median(s.saldoBusy), 2)
		p.ServerShare = round(median(s.serverShare), 2)
		p.ReferenceBefore = round(median(s.refBefore), 2)
		p.SaldoBefore = round(median(s.saldoBefore), 2)
		p.ReferenceClientCPUMS = round(median(s.refClient), 3)
		p.SaldoClientCPUMS = round(median(s.saldoClient), 3)
		p.ReferenceWALPerOp = round(median(s.refWAL), 3)
		p.SaldoWALPerOp = round(median(s.saldoWAL), 3)
		p.WritesPerCommit = round(median(s.wpc), 2)
		p.Splits = s.splits
		if p.Off != nil && s.off != nil {
			s.off.fillOff(p.Off)
			if p.Off.PerSMedian > 0 {
				p.OnOverOff = round(median(s.rate)/median(s.off.rate), 2)
			}
		}
	}
	for k, p := range b.transfers {
		if random := b.transfers[transferKey{"random", k.c}]; k.mode == "hot" && random != nil && random.SaldoPerSMedian > 0 {
			p.HotOverRandom = round(p.SaldoPerSMedian/random.SaldoPerSMedian, 2)
		}
		b.res.Transfers = append(b.res.Transfers, p)
	}
	slices.SortFunc(b.res.Transfers, func(x, y *TransferPoint) int {
		if x.Mode != y.Mode {
			return strings.Compare(modeOrder(x.Mode), modeOrder(y.Mode))
		}
		return x.Concurrency - y.Concurrency
	})
}

// modeOrder sorts random before hot.
func modeOrder(m string) string {
	if m == "random" {
		return "0"
	}
	return "1" + m
}

// samples are the figures of a point's runs, one a run, of which Results has the medians.
type samples struct {
	refTPS, refLat, refBusy                        []float64
	rate, p50, p95, p99, max, cpu, saldoBusy       []float64
	serverShare                                    []float64
	refBefore, saldoBefore, refClient, saldoClient []float64
	refPgTPS                                       []float64
	refWAL, saldoWAL, wpc                          []float64 // WAL flushes per op; writes per commit
	splits                                         int64
	// The one-round-trip reference's runs.
	refOneTPS, refOneLat, refOneBusy, refOneClient, refOneWAL []float64
	off                                                       *samples // saldo's runs with group commit off
}

// offSamples is s's samples of the runs with group commit off, made at the first.
func (s *samples) offSamples() *samples {
	if s.off == nil {
		s.off = &samples{}
	}
	return s.off
}

// takeRun appends a timed saldo-load run's figures to s; rate is its creates or transfers a
// second.
func (s *samples) takeRun(l *line, rate float64) {
	r := l.Report
	s.rate = append(s.rate, rate)
	s.p50 = append(s.p50, r.Latency["p50"])
	s.p95 = append(s.p95, r.Latency["p95"])
	s.p99 = append(s.p99, r.Latency["p99"])
	s.max = append(s.max, r.Latency["max"])
	s.saldoBusy = append(s.saldoBusy, l.busyShare())
	s.saldoBefore = append(s.saldoBefore, l.Quiet/100)
	if r.Sent > 0 && l.ClkTck > 0 {
		s.saldoClient = append(s.saldoClient, l.Client/l.ClkTck*1000/float64(r.Sent))
	}
	if len(l.Busy) == 2 && len(l.BusyEnd) == 2 && l.BusyEnd[1] > l.Busy[1] {
		s.serverShare = append(s.serverShare, l.CPUTicks/(l.BusyEnd[1]-l.Busy[1]))
	}
	if r.OK > 0 && l.ClkTck > 0 {
		s.cpu = append(s.cpu, l.CPUTicks/l.ClkTck*1000/float64(r.OK))
	}
	if r.OK > 0 && l.WalSync != nil {
		s.saldoWAL = append(s.saldoWAL, *l.WalSync/float64(r.OK))
	}
	if len(l.Group) == 2 && len(l.Group[0]) == 3 && len(l.Group[1]) == 3 {
		commits, writes := l.Group[1][0]-l.Group[0][0], l.Group[1][1]-l.Group[0][1]
		if commits > 0 {
			s.wpc = append(s.wpc, writes/commits)
		}
		s.splits += int64(l.Group[1][2] - l.Group[0][2])
	}
}

// takeRefCosts appends a pgbench run's CPU per transaction and WAL flushes per transaction.
func (s *samples) takeRefCosts(l *line, client, wal *[]float64) {
	if l.Txns > 0 && l.ClkTck > 0 {
		*client = append(*client, l.Client/l.ClkTck*1000/l.Txns)
	}
	if l.Txns > 0 && l.WalSync != nil {
		*wal = append(*wal, *l.WalSync/l.Txns)
	}
}

// fillOff sets o's figures from the runs with group commit off (s); o keeps its errors.
func (s *samples) fillOff(o *OffFigures) {
	o.PerS = roundAll(s.rate, 1)
	o.PerSMedian = round(median(s.rate), 1)
	o.P50MS = round(median(s.p50), 2)
	o.P99MS = round(median(s.p99), 2)
	o.P99MSRuns = roundAll(s.p99, 2)
	o.CPUMSPerOp = round(median(s.cpu), 3)
	o.ClientCPUMS = round(median(s.saldoClient), 3)
	o.WALPerOp = round(median(s.saldoWAL), 3)
	o.WritesPerCommit = round(median(s.wpc), 2)
}

// addErrors adds a saldo-load run's errors to errs and by; a run that failed without
// counting an error (failed verification, an interruption) counts one.
func addErrors(errs *int64, by *map[string]int64, l *line) {
	r := l.Report
	*errs += r.Errors
	if l.Exit != 0 && r.Errors == 0 {
		*errs++
	}
	for k, v := range r.ErrorsBy {
		if *by == nil {
			*by = map[string]int64{}
		}
		(*by)[k] += v
	}
}

// point is the PostgreSQL point at concurrency c, made at the first line for it.
func (b *builder) point(c int) *Point {
	if b.points[c] == nil {
		b.points[c] = &Point{Concurrency: c}
	}
	return b.points[c]
}

// sqlitePoint is the SQLite point, made at the first line for it with concurrency c.
func (b *builder) sqlitePoint(c int) *Point {
	if b.res.SQLite == nil {
		b.res.SQLite = &Point{Concurrency: c}
	}
	return b.res.SQLite
}

// samplesOf is p's samples; a point that has them gets medians, even of no runs.
func (b *builder) samplesOf(p *Point) *samples {
	if b.samples[p] == nil {
		b.samples[p] = &samples{}
	}
	return b.samples[p]
}

// add takes one raw line; an unknown kind is fatal.
func (b *builder) add(l *line) {
	switch l.Kind {
	case "command":
		b.res.Commands[l.What] = l.Cmd
	case "reference", "reference_one":
		b.addReference(l)
	case "saldo", "saldo_off", "sqlite", "warmup", "warmup_off", "verify", "sqlite_warmup":
		b.addLoad(l)
	case "ref_rows":
		b.res.RefRows, b.res.RefRowsTxns = l.RefRows, int64(l.Txns)
	case "rss":
		b.addRSS(l)
	case "rows":
		b.res.Rows = map[string]int64{"customers": l.Rows, "ok_creates": b.okCreates}
	case "transfer_reference", "transfer_saldo", "transfer_warmup", "transfer_saldo_off", "transfer_warmup_off",
		"transfer_setup", "transfer_skipped", "ledger_verify", "ledger":
		b.addTransfer(l)
	case "reference_warmup", "reference_one_warmup", "transfer_reference_warmup":
	default:
		log.Fatalf("unknown kind %q", l.Kind)
	}
}

// addRSS takes the server's peak memory after the runs at a point.
func (b *builder) addRSS(l *line) {
	var p *Point
	if l.Engine == "sqlite" {
		p = b.sqlitePoint(l.C)
	} else {
		p = b.point(l.C)
	}
	p.PeakRSSMiB = round(float64(l.VmHWMKB)/1024, 1)
}

// addReference takes a pgbench run of the reference: its figures if it made any, and its
// failures.
func (b *builder) addReference(l *line) {
	p, s := b.point(l.C), b.samplesOf(b.point(l.C))
	if l.Kind == "reference_one" {
		if l.TPS > 0 {
			s.refOneTPS = append(s.refOneTPS, l.TPS)
			s.refOneLat = append(s.refOneLat, l.LatAvgMS)
			s.refOneBusy = append(s.refOneBusy, l.busyShare())
			s.takeRefCosts(l, &s.refOneClient, &s.refOneWAL)
		}
		p.ReferenceOneFailed += l.Failed
		if l.Exit != 0 && l.Failed == 0 {
			p.ReferenceOneFailed++
		}
		return
	}
	if l.TPS > 0 { // 0: the run ended before any transaction (see run.sh)
		s.refTPS = append(s.refTPS, l.TPS)
		s.refLat = append(s.refLat, l.LatAvgMS)
		s.refBusy = append(s.refBusy, l.busyShare())
		s.refBefore = append(s.refBefore, l.Quiet/100)
		s.refPgTPS = append(s.refPgTPS, l.PgTPS)
		s.takeRefCosts(l, &s.refClient, &s.refWAL)
	}
	p.ReferenceFailed += l.Failed
	if l.Exit != 0 && l.Failed == 0 {
		p.ReferenceFailed++ // pgbench failed without counting a transaction
	}
}

// addLoad takes a saldo-load run. The PostgreSQL ones count towards the creates the row
// count is held to, the verification run gives the checks, and the timed runs on either
// engine go into their point.
func (b *builder) addLoad(l *line) {
	r := l.Report
	if r == nil {
		log.Fatalf("a %s line without a report", l.Kind)
	}
	if l.Kind == "saldo" || l.Kind == "saldo_off" || l.Kind == "warmup" || l.Kind == "warmup_off" || l.Kind == "verify" {
		b.okCreates += r.OK
	}
	if l.Kind == "verify" && r.Verify != nil {
		v := r.Verify
		b.res.Verify = map[string]int64{"expected": v.Expected, "checked": v.Checked, "missing": v.Missing,
			"mismatched": v.Mismatched, "errors": v.Errors, "create_errors": r.Errors}
	}
	switch l.Kind {
	case "saldo":
		b.addSaldo(b.point(l.C), l)
	case "saldo_off":
		p := b.point(l.C)
		if p.Off == nil {
			p.Off = &OffFigures{}
		}
		b.samplesOf(p).offSamples().takeRun(l, r.CreatesPerSecond)
		addErrors(&p.Off.Errors, &p.Off.ErrorsBy, l)
	case "sqlite":
		b.addSaldo(b.sqlitePoint(l.C), l)
	}
}

// addSaldo takes a timed saldo-load run at p: its figures and its errors.
func (b *builder) addSaldo(p *Point, l *line) {
	b.samplesOf(p).takeRun(l, l.Report.CreatesPerSecond)
	addErrors(&p.Errors, &p.ErrorsBy, l)
}

// results sets each point's medians and lists the PostgreSQL points by concurrency.
func (b *builder) results() *Results {
	for p, s := range b.samples {
		s.summarize(p)
	}
	for _, p := range b.points {
		b.res.Points = append(b.res.Points, p)
	}
	slices.SortFunc(b.res.Points, func(a, b *Point) int { return a.Concurrency - b.Concurrency })
	if b.res.SQLite != nil {
		b.res.SQLite.SaldoWALPerOp, b.res.SQLite.WritesPerCommit = 0, 0 // PostgreSQL's WAL and a PostgreSQL group's figures
	}
	b.transferResults()
	return b.res
}

// summarize sets p's figures from its runs': the runs themselves, rounded, and their medians.
func (s *samples) summarize(p *Point) {
	p.ReferenceTPS = roundAll(s.refTPS, 1)
	p.ReferenceTPSMedian = round(median(s.refTPS), 1)
	p.ReferenceLatencyMS = round(median(s.refLat), 2)
	p.ReferencePgbenchTPS = round(median(s.refPgTPS), 1)
	p.ReferenceBusy = round(median(s.refBusy), 2)
	p.SaldoCreatesPerS = roundAll(s.rate, 1)
	p.SaldoCreatesPerSMedian = round(median(s.rate), 1)
	if p.ReferenceTPSMedian > 0 {
		p.Ratio = round(median(s.rate)/median(s.refTPS), 2)
	}
	p.P50MS = round(median(s.p50), 2)
	p.P95MS = round(median(s.p95), 2)
	p.P99MS = round(median(s.p99), 2)
	p.P99MSRuns = roundAll(s.p99, 2)
	p.MaxMS = round(median(s.max), 2)
	p.CPUMSPerCreate = round(median(s.cpu), 3)
	p.SaldoBusy = round(median(s.saldoBusy), 2)
	p.ServerShare = round(median(s.serverShare), 2)
	p.ReferenceBefore = round(median(s.refBefore), 2)
	p.SaldoBefore = round(median(s.saldoBefore), 2)
	p.ReferenceClientCPUMS = round(median(s.refClient), 3)
	p.SaldoClientCPUMS = round(median(s.saldoClient), 3)
	p.ReferenceOneTPS = roundAll(s.refOneTPS, 1)
	p.ReferenceOneTPSMedian = round(median(s.refOneTPS), 1)
	p.ReferenceOneLatencyMS = round(median(s.refOneLat), 2)
	p.ReferenceOneBusy = round(median(s.refOneBusy), 2)
	p.ReferenceOneClientCPUMS = round(median(s.refOneClient), 3)
	if p.ReferenceOneTPSMedian > 0 {
		p.RatioOne = round(median(s.rate)/median(s.refOneTPS), 2)
	}
	p.ReferenceWALPerOp = round(median(s.refWAL), 3)
	p.ReferenceOneWALPerOp = round(median(s.refOneWAL), 3)
	p.SaldoWALPerOp = round(median(s.saldoWAL), 3)
	p.WritesPerCommit = round(median(s.wpc), 2)
	p.Splits = s.splits
	if p.Off != nil && s.off != nil {
		s.off.fillOff(p.Off)
		if p.Off.PerSMedian > 0 {
			p.OnOverOff = round(median(s.rate)/median(s.off.rate), 2)
		}
	}
}

// median of xs: the middle value, or the mean of the two middle ones.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

func roundAll(xs []float64, digits int) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = round(x, digits)
	}
	return out
}

// machine describes this machine; the PostgreSQL figures come from the caller.
func machine(pg, pgSettings string) map[string]string {
	m := map[string]string{"nproc": strconv.Itoa(runtime.NumCPU()), "go": runtime.Version(), "postgres": pg, "postgres_settings": pgSettings}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m["cpu"] = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "MemTotal:" {
				kb, _ := strconv.ParseFloat(f[1], 64)
				m["memory"] = fmt.Sprintf("%.1f GiB", kb/1024/1024)
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m["kernel"] = "Linux " + strings.TrimSpace(string(b))
	}
	return m
}

func num(x float64, digits int) string {
	if x == 0 {
		return "—"
	}
	return strconv.FormatFloat(x, 'f', digits, 64)
}

func joinNums(xs []float64, digits int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.FormatFloat(x, 'f', digits, 64)
	}
	return strings.Join(s, ", ")
}

// markdown is the generated section of BENCHMARKS.md: the machine, a table of the medians,
// every run behind a fold, the checks, the commands and the chart.
func markdown(res *Results) string {
	var b strings.Builder
	writeMachine(&b, res)
	writeMedians(&b, res)
	writeRuns(&b, res)
	writeChecks(&b, res)
	writeTransfers(&b, res)
	writeCommands(&b, res)
	b.WriteString("![Creates per second of the reference and of saldo, and saldo's p99 latency, against concurrency](bench/chart.svg)\n")
	return b.String()
}

// writeMachine writes when and how the figures were measured, and on what.
func writeMachine(b *strings.Builder, res *Results) {
	m := res.Machine
	fmt.Fprintf(b, "_Generated by `bench/run.sh` on %s with BENCH_SECONDS=%d, BENCH_RUNS=%d: every figure is the median of %d runs of %d s._\n\n",
		res.Generated, res.Seconds, res.Runs, res.Runs, res.Seconds)
	fmt.Fprintf(b, "**Machine.** %s CPUs (`nproc`), %s; %s memory; %s. %s (%s). %s. ",
		m["nproc"], m["cpu"], m["memory"], m["kernel"], m["postgres"], m["postgres_settings"], m["go"])
	b.WriteString("saldo, saldo-load, pgbench and PostgreSQL all share these CPUs; all traffic is to 127.0.0.1.\n\n")
}

// writeMedians writes the main table, a row a concurrency and one for SQLite, the costs per
// create, what their figures are, and the targets.
func writeMedians(b *strings.Builder, res *Results) {
	b.WriteString("| concurrency | reference tps (statements) | one-round-trip reference tps | saldo creates/s | saldo / reference | saldo / one-round-trip | saldo, group commit off | group commit on / off | saldo p50 ms | saldo p99 ms | errors (saldo / off / reference / one-round-trip) | server peak RSS MiB |\n")
	b.WriteString("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	eachPoint(res, "%d, embedded SQLite", func(label string, p *Point) { writeMediansRow(b, label, p) })
	b.WriteString("\nThe references are pgbench running `bench/create.sql`, the same statements and rows as one create, as plain SQL in one transaction, " +
		"a statement at a time; and `bench/create_one.sql`, the same rows as one statement of data-modifying CTEs in autocommit: one round trip and one commit a create. " +
		"saldo's figures are composite creates (customer, wallet, 3 tokens, parent balance and parent, 2 events) over HTTP, " +
		"with group commit (the default, `--group-commit-members 32`: concurrent creates share transactions) and without (`--group-commit-members 1`, a second server on the same database). " +
		"Peak RSS is the group-commit server's VmHWM after the runs at that concurrency and all before it.\n\n")
	b.WriteString("| concurrency | writes per commit (saldo / off) | WAL flushes per create (reference / one-round-trip / saldo / off) | server CPU ms per create (saldo / off) | load generator CPU ms per op (pgbench / pgbench one-round-trip / saldo-load / saldo-load off) |\n")
	b.WriteString("|---:|---:|---:|---:|---:|\n")
	eachPoint(res, "%d, SQLite", func(label string, p *Point) { writeCostsRow(b, label, p) })
	b.WriteString("\nWrites per commit are saldo's `saldo_group_writes_total` over `saldo_group_commits_total` (`kind=\"create\"`, from `/metrics`) during the run. " +
		"With group commit off the server keeps no such counters: every write is a transaction of its own. " +
		"WAL flushes are `pg_stat_wal.wal_sync` during the run (the whole cluster's; after saldo's runs, read once its connections have reported) over the transactions pgbench counted or the creates saldo acknowledged. " +
		"Server CPU is the saldo process's alone (utime+stime from /proc), not PostgreSQL's; " +
		"the load generators' is pgbench's or saldo-load's, per transaction or per create sent.\n\n")
	writeCreateTargets(b, res)
}

// eachPoint calls row with each concurrency's point, labelled by its concurrency, then with
// SQLite's, if any, labelled by sqliteLabel (a format of its concurrency).
func eachPoint(res *Results, sqliteLabel string, row func(label string, p *Point)) {
	for _, p := range res.Points {
		row(strconv.Itoa(p.Concurrency), p)
	}
	if res.SQLite != nil {
		row(fmt.Sprintf(sqliteLabel, res.SQLite.Concurrency), res.SQLite)
	}
}

// writeMediansRow writes p's row of the main table.
func writeMediansRow(b *strings.Builder, label string, p *Point) {
	off := &OffFigures{}
	if p.Off != nil {
		off = p.Off
	}
	fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d / %s / %s / %s | %s |\n", label,
		num(p.ReferenceTPSMedian, 0), num(p.ReferenceOneTPSMedian, 0), num(p.SaldoCreatesPerSMedian, 0), num(p.Ratio, 2), num(p.RatioOne, 2),
		num(off.PerSMedian, 0), num(p.OnOverOff, 2), num(p.P50MS, 1), num(p.P99MS, 1),
		p.Errors, offErrors(p.Off), refErrors(p), refOneErrors(p), num(p.PeakRSSMiB, 1))
}

// writeCostsRow writes p's row of the table of costs per create.
func writeCostsRow(b *strings.Builder, label string, p *Point) {
	off := &OffFigures{}
	if p.Off != nil {
		off = p.Off
	}
	fmt.Fprintf(b, "| %s | %s / %s | %s / %s / %s / %s | %s / %s | %s / %s / %s / %s |\n", label,
		num(p.WritesPerCommit, 2), num(off.WritesPerCommit, 2),
		num(p.ReferenceWALPerOp, 2), num(p.ReferenceOneWALPerOp, 2), num(p.SaldoWALPerOp, 2), num(off.WALPerOp, 2),
		num(p.CPUMSPerCreate, 2), num(off.CPUMSPerOp, 2),
		num(p.ReferenceClientCPUMS, 2), num(p.ReferenceOneClientCPUMS, 2), num(p.SaldoClientCPUMS, 2), num(off.ClientCPUMS, 2))
}

// offErrors is the errors of the runs with group commit off, "—" without them.
func offErrors(o *OffFigures) string {
	if o == nil {
		return "—"
	}
	return strconv.FormatInt(o.Errors, 10)
}

// verdict is "met" or a bold "missed".
func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

// writeCreateTargets writes whether the create figures meet the targets: saldo ≥ 0.8 of the
// one-round-trip reference at 8 and 16 clients, p99 ≤ 25 ms at 16, no errors, peak RSS ≤
// 100 MiB.
func writeCreateTargets(b *strings.Builder, res *Results) {
	b.WriteString("**Targets.**\n\n")
	for _, p := range res.Points {
		if (p.Concurrency == 8 || p.Concurrency == 16) && p.ReferenceOneTPSMedian > 0 {
			fmt.Fprintf(b, "- saldo at %d clients ≥ 0.8 of the one-round-trip reference: %s, %.2f (%.0f creates/s against %.0f tps)\n",
				p.Concurrency, verdict(p.RatioOne >= 0.8), p.RatioOne, p.SaldoCreatesPerSMedian, p.ReferenceOneTPSMedian)
		}
	}
	for _, p := range res.Points {
		if p.Concurrency == 16 {
			fmt.Fprintf(b, "- p99 at 16 clients ≤ 25 ms: %s, %.1f ms\n", verdict(p.P99MS > 0 && p.P99MS <= 25), p.P99MS)
		}
	}
	var errs int64
	var rss float64
	for _, p := range append(slices.Clip(res.Points), res.SQLite) {
		if p == nil {
			continue
		}
		errs += p.Errors
		if p.Off != nil {
			errs += p.Off.Errors
		}
		rss = max(rss, p.PeakRSSMiB)
	}
	if len(res.Points) > 0 {
		fmt.Fprintf(b, "- no errors (every timed create run, group commit on and off): %s, %d\n", verdict(errs == 0), errs)
		fmt.Fprintf(b, "- peak RSS ≤ 100 MiB: %s, %.1f MiB\n", verdict(rss > 0 && rss <= 100), rss)
	}
	b.WriteString("\n")
}

// writeRuns writes, folded away, the table of every run's figures and the machine's load.
func writeRuns(b *strings.Builder, res *Results) {
	b.WriteString("<details><summary>Every run</summary>\n\n")
	b.WriteString("| concurrency | reference tps | one-round-trip reference tps | saldo creates/s | saldo creates/s, group commit off | saldo p99 ms | saldo p99 ms, off | saldo p95 ms | saldo max ms | machine CPU busy (reference / one-round-trip / saldo runs) | saldo server's share of the machine | machine busy just before (reference / saldo runs) | errors by status/code |\n")
	b.WriteString("|---:|---|---|---|---|---|---|---:|---:|---:|---:|---:|---|\n")
	for _, p := range res.Points {
		writeRunsRow(b, strconv.Itoa(p.Concurrency), p)
	}
	if res.SQLite != nil {
		writeRunsRow(b, fmt.Sprintf("%d, SQLite", res.SQLite.Concurrency), res.SQLite)
	}
	b.WriteString("\n</details>\n\n")
}

// writeRunsRow writes p's row of the table of every run.
func writeRunsRow(b *strings.Builder, label string, p *Point) {
	off := &OffFigures{}
	if p.Off != nil {
		off = p.Off
	}
	errs := errorsBy(p.ErrorsBy)
	if len(off.ErrorsBy) > 0 {
		errs += "; off: " + errorsBy(off.ErrorsBy)
	}
	fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s / %s | %s | %s / %s | %s |\n", label,
		joinNums(p.ReferenceTPS, 0), joinNums(p.ReferenceOneTPS, 0), joinNums(p.SaldoCreatesPerS, 0), joinNums(off.PerS, 0),
		joinNums(p.P99MSRuns, 1), joinNums(off.P99MSRuns, 1), num(p.P95MS, 1), num(p.MaxMS, 1),
		refPct(p, p.ReferenceBusy), refPct(p, p.ReferenceOneBusy), pct(p.SaldoBusy), pct(p.ServerShare),
		refPct(p, p.ReferenceBefore), pct(p.SaldoBefore), errs)
}

// errorsBy lists errors by status and code, sorted, or "none".
func errorsBy(by map[string]int64) string {
	var errs []string
	for k, v := range by {
		errs = append(errs, fmt.Sprintf("`%s` × %d", k, v))
	}
	slices.Sort(errs)
	if len(errs) == 0 {
		errs = []string{"none"}
	}
	return strings.Join(errs, ", ")
}

// writeChecks writes what the verification run read back and whether the customers table
// holds as many rows as saldo-load counted creates.
func writeChecks(b *strings.Builder, res *Results) {
	if v := res.Verify; v != nil {
		fmt.Fprintf(b, "**Checks.** After the timed runs, one run of %d creates was read back with `--verify`: %d read back, %d missing, %d mismatched, %d errors (create errors %d).",
			v["expected"], v["checked"], v["missing"], v["mismatched"], v["errors"], v["create_errors"])
	}
	if r := res.Rows; r != nil {
		verdict := "as many as"
		if r["customers"] != r["ok_creates"] {
			verdict = "**not** as many as"
		}
		fmt.Fprintf(b, " The customers table then held %d rows, %s the %d creates saldo-load counted as successful.", r["customers"], verdict, r["ok_creates"])
	}
	if rr := res.RefRows; rr != nil {
		a, o := rr["create_sql"], rr["create_one_sql"]
		var keys, diff []string
		for k := range a {
			keys = append(keys, k)
		}
		for k := range o {
			if _, ok := a[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		var rows []string
		for _, k := range keys {
			rows = append(rows, fmt.Sprintf("%s %d", k, a[k]))
			if a[k] != o[k] {
				diff = append(diff, fmt.Sprintf("%s %d against %d", k, o[k], a[k]))
			}
		}
		if len(diff) == 0 && len(keys) > 0 {
			fmt.Fprintf(b, " Before the timed runs, %d transactions of `bench/create_one.sql` added the same rows as %d of `bench/create.sql`: %s.",
				res.RefRowsTxns, res.RefRowsTxns, strings.Join(rows, ", "))
		} else {
			fmt.Fprintf(b, " Before the timed runs, %d transactions of `bench/create_one.sql` did **not** add the rows %d of `bench/create.sql` did: %s.",
				res.RefRowsTxns, res.RefRowsTxns, strings.Join(diff, ", "))
		}
	}
}

// writeCommands writes the commands the figures came from.
func writeCommands(b *strings.Builder, res *Results) {
	b.WriteString("\n\n**Commands.**\n\n```sh\n")
	for _, k := range []string{"run", "server", "server_off", "reference", "reference_one", "saldo", "metrics", "sqlite", "transfer_reference", "transfer_setup", "transfer_saldo"} {
		if c, ok := res.Commands[k]; ok {
			fmt.Fprintf(b, "%s\n", c)
		}
	}
	b.WriteString("```\n\n")
}

// writeTransfers writes the transfer points: a table of the medians against the reference,
// the targets, every run behind a fold, and the ledger's checks.
func writeTransfers(b *strings.Builder, res *Results) {
	tc := res.TransferChecks
	if len(res.Transfers) == 0 && tc == nil {
		return
	}
	b.WriteString("\n\n### Transfers\n\n")
	if tc != nil && tc.SkippedBecause != "" {
		fmt.Fprintf(b, "No transfer figures: the set-up failed (`%s`).", strings.TrimSpace(tc.SkippedBecause))
		return
	}
	b.WriteString("| mode | concurrency | reference tps | saldo transfers/s | saldo / reference | saldo, group commit off | group commit on / off | hot / random (saldo) | saldo p50 ms | saldo p99 ms | errors (saldo / off / reference) |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, p := range res.Transfers {
		off := &OffFigures{}
		if p.Off != nil {
			off = p.Off
		}
		fmt.Fprintf(b, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %d / %s / %d |\n", p.Mode, p.Concurrency,
			num(p.ReferenceTPSMedian, 0), num(p.SaldoPerSMedian, 0), num(p.Ratio, 2), num(off.PerSMedian, 0), num(p.OnOverOff, 2),
			num(p.HotOverRandom, 2), num(p.P50MS, 1), num(p.P99MS, 1), p.Errors, offErrors(p.Off), p.ReferenceFailed)
	}
	b.WriteString("\n| mode | concurrency | writes per commit (saldo / off) | WAL flushes per transfer (reference / saldo / off) | server CPU ms per transfer (saldo / off) | load generator CPU ms per op (pgbench / saldo-load / saldo-load off) |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|\n")
	for _, p := range res.Transfers {
		off := &OffFigures{}
		if p.Off != nil {
			off = p.Off
		}
		fmt.Fprintf(b, "| %s | %d | %s / %s | %s / %s / %s | %s / %s | %s / %s / %s |\n", p.Mode, p.Concurrency,
			num(p.WritesPerCommit, 2), num(off.WritesPerCommit, 2),
			num(p.ReferenceWALPerOp, 2), num(p.SaldoWALPerOp, 2), num(off.WALPerOp, 2),
			num(p.CPUMSPerOp, 2), num(off.CPUMSPerOp, 2),
			num(p.ReferenceClientCPUMS, 2), num(p.SaldoClientCPUMS, 2), num(off.ClientCPUMS, 2))
	}
	if tc != nil {
		fmt.Fprintf(b, "\nThe reference is pgbench running `bench/transfer.sql`: what one transfer does in PostgreSQL, as plain SQL in one transaction, "+
			"on %d wallets seeded by `bench/transfer_seed.sql`; saldo's figures are `POST /wallet/v1/transfer` over HTTP among %d wallets that "+
			"saldo-load created and topped up through the API (%.1f s). random: source and target at random; hot: every transfer out of one wallet "+
			"to a random other; the hot reference thus runs one transaction at a time on the hot wallet's row, whatever the clients. "+
			"Level-1 wallets with their KYC limits in force (UDI at 8.50), 1 cent a transfer. saldo runs with group commit (concurrent movements share a transaction, "+
			"`kind=\"movement\"` in the writes per commit) and without (`--group-commit-members 1`), on the same wallets.\n\n", tc.Wallets, tc.Wallets, tc.SetupSeconds)
	}
	writeTransferTargets(b, res)
	b.WriteString("<details><summary>Every transfer run</summary>\n\n")
	b.WriteString("| mode | concurrency | reference tps | saldo transfers/s | saldo transfers/s, group commit off | saldo p99 ms | saldo p99 ms, off | saldo p95 ms | saldo max ms | machine CPU busy (reference / saldo runs) | saldo server's share of the machine | machine busy just before (reference / saldo runs) | errors by status/code |\n")
	b.WriteString("|---|---:|---|---|---|---|---|---:|---:|---:|---:|---:|---|\n")
	for _, p := range res.Transfers {
		off := &OffFigures{}
		if p.Off != nil {
			off = p.Off
		}
		errs := errorsBy(p.ErrorsBy)
		if len(off.ErrorsBy) > 0 {
			errs += "; off: " + errorsBy(off.ErrorsBy)
		}
		fmt.Fprintf(b, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s | %s / %s | %s |\n", p.Mode, p.Concurrency, joinNums(p.ReferenceTPS, 0),
			joinNums(p.SaldoPerS, 0), joinNums(off.PerS, 0), joinNums(p.P99MSRuns, 1), joinNums(off.P99MSRuns, 1), num(p.P95MS, 1), num(p.MaxMS, 1),
			pct(p.ReferenceBusy), pct(p.SaldoBusy), pct(p.ServerShare), pct(p.ReferenceBefore), pct(p.SaldoBefore), errs)
	}
	b.WriteString("\n</details>\n\n")
	if tc == nil {
		return
	}
	if l := tc.Saldo; l != nil {
		fmt.Fprintf(b, "**Ledger after the transfer runs.** saldo's: %d transactions (%d transfers, %d top-ups), %d entries; "+
			"%d transactions whose entries are fewer than two or do not sum to zero, %d balances that are not the sum of their entries (or below what they hold); "+
			"the entries sum to %d. saldo-load counted %d successful transfers, warm-ups and group commit off included; the ledger holds %d.",
			l.Transactions, l.Transfers, l.TopUps, l.Entries, l.Unbalanced, l.Mismatched, l.SumOfEntries, tc.OKTransfers, l.Transfers)
	}
	if tc.VerifyExit != nil {
		fmt.Fprintf(b, " `saldo ledger verify` exited %d: `%s`.", *tc.VerifyExit, strings.Join(strings.Fields(tc.VerifyOutput), " "))
	} else {
		b.WriteString(" (This build has no `saldo ledger verify`: the checks above are its queries in SQL.)")
	}
	if l := tc.Reference; l != nil {
		fmt.Fprintf(b, " The reference's: %d transactions, %d unbalanced, %d mismatched balances.", l.Transactions, l.Unbalanced, l.Mismatched)
	}
}

// writeTransferTargets writes whether the transfer figures meet the targets: random wallets
// ≥ 1.0 of the random reference, the hot wallet ≥ 3 times the hot reference (one transaction
// at a time on one row).
func writeTransferTargets(b *strings.Builder, res *Results) {
	b.WriteString("**Targets.**\n\n")
	for _, p := range res.Transfers {
		if p.Mode == "random" && p.Ratio > 0 {
			fmt.Fprintf(b, "- random wallets at %d clients ≥ 1.0 of the random reference: %s, %.2f\n", p.Concurrency, verdict(p.Ratio >= 1), p.Ratio)
		}
	}
	for _, p := range res.Transfers {
		if p.Mode == "hot" && p.Ratio > 0 {
			fmt.Fprintf(b, "- hot wallet at %d clients ≥ 3 × the hot reference: %s, %.2f × (%.0f transfers/s against %.0f tps)\n",
				p.Concurrency, verdict(p.Ratio >= 3), p.Ratio, p.SaldoPerSMedian, p.ReferenceTPSMedian)
		}
	}
	b.WriteString("\n")
}

func refOneErrors(p *Point) string {
	if p.ReferenceOneTPSMedian == 0 && p.ReferenceOneFailed == 0 {
		return "—"
	}
	return strconv.FormatInt(p.ReferenceOneFailed, 10)
}

func refErrors(p *Point) string {
	if p.ReferenceTPSMedian == 0 {
		return "—"
	}
	return strconv.FormatInt(p.ReferenceFailed, 10)
}

func pct(x float64) string { return fmt.Sprintf("%.0f %%", x*100) }

// refPct is pct of a reference figure, "—" where there is no reference (SQLite).
func refPct(p *Point, x float64) string {
	if p.ReferenceTPSMedian == 0 {
		return "—"
	}
	return pct(x)
}

// splice writes section between the markers of the file at path, keeping everything around
// them; a file without them gets them appended.
func splice(path, section string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	block := beginMarker + "\n" + section + endMarker
	var out []byte
	i, j := bytes.Index(old, []byte(beginMarker)), bytes.Index(old, []byte(endMarker))
	if i >= 0 && j > i {
		out = append(append(append(out, old[:i]...), block...), old[j+len(endMarker):]...)
	} else {
		if len(old) > 0 && !bytes.HasSuffix(old, []byte("\n")) {
			old = append(old, '\n')
		}
		out = append(append(old, block...), '\n')
	}
	return os.WriteFile(path, out, 0o644)
}
