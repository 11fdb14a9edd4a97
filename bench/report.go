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
	Setup    *struct {
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
		}
		p.ReferenceFailed += l.Failed
		if l.Exit != 0 && l.Failed == 0 {
			p.ReferenceFailed++
		}
	case "transfer_saldo", "transfer_warmup":
		r := l.Report
		if r == nil {
			log.Fatalf("a %s line without a report", l.Kind)
		}
		b.checks().OKTransfers += r.OK
		if l.Kind == "transfer_warmup" {
			return
		}
		p, s := b.transferPoint(l.Mode, l.C)
		s.rate = append(s.rate, r.TransfersPerS)
		s.p50 = append(s.p50, r.Latency["p50"])
		s.p95 = append(s.p95, r.Latency["p95"])
		s.p99 = append(s.p99, r.Latency["p99"])
		s.max = append(s.max, r.Latency["max"])
		s.saldoBusy = append(s.saldoBusy, l.busyShare())
		s.saldoBefore = append(s.saldoBefore, l.Quiet/100)
		if len(l.Busy) == 2 && len(l.BusyEnd) == 2 && l.BusyEnd[1] > l.Busy[1] {
			s.serverShare = append(s.serverShare, l.CPUTicks/(l.BusyEnd[1]-l.Busy[1]))
		}
		if r.OK > 0 && l.ClkTck > 0 {
			s.cpu = append(s.cpu, l.CPUTicks/l.ClkTck*1000/float64(r.OK))
		}
		if l.Mode == "hot" && r.OK > 0 && (p.HotBalanceAfter == 0 || r.HotBalanceAfter < p.HotBalanceAfter) {
			p.HotBalanceAfter = r.HotBalanceAfter
		}
		p.Errors += r.Errors
		if l.Exit != 0 && r.Errors == 0 {
			p.Errors++
		}
		for k, v := range r.ErrorsBy {
			if p.ErrorsBy == nil {
				p.ErrorsBy = map[string]int64{}
			}
			p.ErrorsBy[k] += v
		}
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
	case "reference":
		b.addReference(l)
	case "saldo", "sqlite", "warmup", "verify", "sqlite_warmup":
		b.addLoad(l)
	case "rss":
		b.addRSS(l)
	case "rows":
		b.res.Rows = map[string]int64{"customers": l.Rows, "ok_creates": b.okCreates}
	case "transfer_reference", "transfer_saldo", "transfer_warmup", "transfer_setup", "transfer_skipped", "ledger_verify", "ledger":
		b.addTransfer(l)
	case "reference_warmup", "transfer_reference_warmup":
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
	if l.TPS > 0 { // 0: the run ended before any transaction (see run.sh)
		s.refTPS = append(s.refTPS, l.TPS)
		s.refLat = append(s.refLat, l.LatAvgMS)
		s.refBusy = append(s.refBusy, l.busyShare())
		s.refBefore = append(s.refBefore, l.Quiet/100)
		s.refPgTPS = append(s.refPgTPS, l.PgTPS)
		if l.Txns > 0 && l.ClkTck > 0 {
			s.refClient = append(s.refClient, l.Client/l.ClkTck*1000/l.Txns)
		}
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
	if l.Kind == "saldo" || l.Kind == "warmup" || l.Kind == "verify" {
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
	case "sqlite":
		b.addSaldo(b.sqlitePoint(l.C), l)
	}
}

// addSaldo takes a timed saldo-load run at p: its figures and its errors.
func (b *builder) addSaldo(p *Point, l *line) {
	r, s := l.Report, b.samplesOf(p)
	s.rate = append(s.rate, r.CreatesPerSecond)
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
	p.Errors += r.Errors
	if l.Exit != 0 && r.Errors == 0 {
		p.Errors++ // failed verification or an interruption
	}
	for k, v := range r.ErrorsBy {
		if p.ErrorsBy == nil {
			p.ErrorsBy = map[string]int64{}
		}
		p.ErrorsBy[k] += v
	}
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

// writeMedians writes the main table, a row a concurrency and one for SQLite, and what
// its figures are.
func writeMedians(b *strings.Builder, res *Results) {
	b.WriteString("| concurrency | reference tps | saldo creates/s | saldo / reference | saldo p50 ms | saldo p99 ms | errors (saldo / reference) | server CPU ms per create | server peak RSS MiB |\n")
	b.WriteString("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, p := range res.Points {
		writeMediansRow(b, strconv.Itoa(p.Concurrency), p)
	}
	if res.SQLite != nil {
		writeMediansRow(b, fmt.Sprintf("%d, embedded SQLite", res.SQLite.Concurrency), res.SQLite)
	}
	b.WriteString("\nThe reference is pgbench running `bench/create.sql`: the same statements and rows as one create, as plain SQL in one transaction. " +
		"saldo's figures are composite creates (customer, wallet, 3 tokens, parent balance and parent, 2 events) over HTTP. " +
		"CPU is the saldo process's alone (utime+stime from /proc), not PostgreSQL's; " +
		"peak RSS is its VmHWM after the runs at that concurrency and all before it.\n\n")
}

// writeMediansRow writes p's row of the main table.
func writeMediansRow(b *strings.Builder, label string, p *Point) {
	fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %d / %s | %s | %s |\n", label,
		num(p.ReferenceTPSMedian, 0), num(p.SaldoCreatesPerSMedian, 0), num(p.Ratio, 2),
		num(p.P50MS, 1), num(p.P99MS, 1), p.Errors, refErrors(p), num(p.CPUMSPerCreate, 2), num(p.PeakRSSMiB, 1))
}

// writeRuns writes, folded away, the table of every run's figures and the machine's load.
func writeRuns(b *strings.Builder, res *Results) {
	b.WriteString("<details><summary>Every run</summary>\n\n")
	b.WriteString("| concurrency | reference tps | saldo creates/s | saldo p99 ms | saldo p95 ms | saldo max ms | machine CPU busy (reference / saldo runs) | saldo server's share of the machine | machine busy just before (reference / saldo runs) | client CPU ms per op (pgbench / saldo-load) | errors by status/code |\n")
	b.WriteString("|---:|---|---|---|---:|---:|---:|---:|---:|---:|---|\n")
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
	fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s / %s | %s | %s / %s | %s / %s | %s |\n", label, joinNums(p.ReferenceTPS, 0), joinNums(p.SaldoCreatesPerS, 0),
		joinNums(p.P99MSRuns, 1), num(p.P95MS, 1), num(p.MaxMS, 1), refPct(p, p.ReferenceBusy), pct(p.SaldoBusy), pct(p.ServerShare),
		refPct(p, p.ReferenceBefore), pct(p.SaldoBefore), num(p.ReferenceClientCPUMS, 2), num(p.SaldoClientCPUMS, 2), errorsBy(p))
}

// errorsBy lists p's errors by status and code, sorted, or "none".
func errorsBy(p *Point) string {
	var errs []string
	for k, v := range p.ErrorsBy {
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
}

// writeCommands writes the commands the figures came from.
func writeCommands(b *strings.Builder, res *Results) {
	b.WriteString("\n\n**Commands.**\n\n```sh\n")
	for _, k := range []string{"run", "server", "reference", "saldo", "sqlite", "transfer_reference", "transfer_setup", "transfer_saldo"} {
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
	b.WriteString("| mode | concurrency | reference tps | saldo transfers/s | saldo / reference | hot / random (saldo) | saldo p50 ms | saldo p99 ms | errors (saldo / reference) | server CPU ms per transfer |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, p := range res.Transfers {
		fmt.Fprintf(b, "| %s | %d | %s | %s | %s | %s | %s | %s | %d / %d | %s |\n", p.Mode, p.Concurrency,
			num(p.ReferenceTPSMedian, 0), num(p.SaldoPerSMedian, 0), num(p.Ratio, 2), num(p.HotOverRandom, 2),
			num(p.P50MS, 1), num(p.P99MS, 1), p.Errors, p.ReferenceFailed, num(p.CPUMSPerOp, 2))
	}
	if tc != nil {
		fmt.Fprintf(b, "\nThe reference is pgbench running `bench/transfer.sql`: what one transfer does in PostgreSQL, as plain SQL in one transaction, "+
			"on %d wallets seeded by `bench/transfer_seed.sql`; saldo's figures are `POST /wallet/v1/transfer` over HTTP among %d wallets that "+
			"saldo-load created and topped up through the API (%.1f s). random: source and target at random; hot: every transfer out of one wallet "+
			"to a random other. Level-1 wallets with their KYC limits in force (UDI at 8.50), 1 cent a transfer.\n\n", tc.Wallets, tc.Wallets, tc.SetupSeconds)
	}
	writeTransferTargets(b, res)
	b.WriteString("<details><summary>Every transfer run</summary>\n\n")
	b.WriteString("| mode | concurrency | reference tps | saldo transfers/s | saldo p99 ms | saldo p95 ms | saldo max ms | machine CPU busy (reference / saldo runs) | saldo server's share of the machine | machine busy just before (reference / saldo runs) | errors by status/code |\n")
	b.WriteString("|---|---:|---|---|---|---:|---:|---:|---:|---:|---|\n")
	for _, p := range res.Transfers {
		var errs []string
		for k, v := range p.ErrorsBy {
			errs = append(errs, fmt.Sprintf("`%s` × %d", k, v))
		}
		slices.Sort(errs)
		if len(errs) == 0 {
			errs = []string{"none"}
		}
		fmt.Fprintf(b, "| %s | %d | %s | %s | %s | %s | %s | %s / %s | %s | %s / %s | %s |\n", p.Mode, p.Concurrency, joinNums(p.ReferenceTPS, 0),
			joinNums(p.SaldoPerS, 0), joinNums(p.P99MSRuns, 1), num(p.P95MS, 1), num(p.MaxMS, 1), pct(p.ReferenceBusy), pct(p.SaldoBusy),
			pct(p.ServerShare), pct(p.ReferenceBefore), pct(p.SaldoBefore), strings.Join(errs, ", "))
	}
	b.WriteString("\n</details>\n\n")
	if tc == nil {
		return
	}
	if l := tc.Saldo; l != nil {
		fmt.Fprintf(b, "**Ledger after the transfer runs.** saldo's: %d transactions (%d transfers, %d top-ups), %d entries; "+
			"%d transactions whose entries are fewer than two or do not sum to zero, %d balances that are not the sum of their entries (or below what they hold); "+
			"the entries sum to %d. saldo-load counted %d successful transfers, warm-ups included; the ledger holds %d.",
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

// writeTransferTargets writes whether the transfer figures meet the targets: random
// wallets ≥ 0.7 of the reference, the hot wallet ≥ 0.5 of the random figure, p99 at 16
// clients ≤ 25 ms.
func writeTransferTargets(b *strings.Builder, res *Results) {
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**missed**"
	}
	b.WriteString("**Targets.**\n\n")
	for _, p := range res.Transfers {
		if p.Mode == "random" && p.Ratio > 0 {
			fmt.Fprintf(b, "- random wallets at %d clients ≥ 0.7 of the reference: %s, %.2f\n", p.Concurrency, verdict(p.Ratio >= 0.7), p.Ratio)
		}
	}
	for _, p := range res.Transfers {
		if p.Mode == "hot" && p.HotOverRandom > 0 {
			fmt.Fprintf(b, "- hot wallet at %d clients ≥ 0.5 of random wallets: %s, %.2f\n", p.Concurrency, verdict(p.HotOverRandom >= 0.5), p.HotOverRandom)
		}
	}
	for _, p := range res.Transfers {
		if p.Concurrency == 16 && p.P99MS > 0 {
			fmt.Fprintf(b, "- p99 at 16 clients ≤ 25 ms, %s: %s, %.1f ms\n", p.Mode, verdict(p.P99MS <= 25), p.P99MS)
		}
	}
	b.WriteString("\n")
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
