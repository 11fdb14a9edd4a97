//go:build ignore

// charges_report.go turns bench/charges.sh's raw measurements (one JSON object a line) into
// the section of BENCHMARKS.md between <!-- charges:begin --> and <!-- charges:end -->
// (appended at the end when the markers are missing). Standard library only.
//
//	go run bench/charges_report.go -raw raw.jsonl -md BENCHMARKS.md -seconds 10 -runs 3 -pg "PostgreSQL 15…" -server "saldo serve"
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"
)

const beginMarker, endMarker = "<!-- charges:begin -->", "<!-- charges:end -->"

type chargeReport struct {
	OK           int64              `json:"ok"`
	Errors       int64              `json:"errors"`
	PerS         float64            `json:"charges_per_s"`
	Latency      map[string]float64 `json:"latency_ms"`
	ErrorsBy     map[string]int64   `json:"errors_by"`
	HotDebtAfter int64              `json:"hot_debt_after"`
	Children     int                `json:"children"`
	Setup        *struct {
		ElapsedSeconds float64 `json:"elapsed_s"`
	} `json:"setup"`
}

type ledger struct {
	Transactions int64 `json:"transactions"`
	Charges      int64 `json:"charges"`
	Entries      int64 `json:"entries"`
	Unbalanced   int64 `json:"unbalanced_transactions"`
	Mismatched   int64 `json:"mismatched_balances"`
	OverCredit   int64 `json:"over_credit"`
	HotDebt      int64 `json:"hot_debt"`
	SumOfEntries int64 `json:"sum_of_entries"`
}

type line struct {
	Kind       string        `json:"kind"`
	Mode       string        `json:"mode"`
	C          int           `json:"c"`
	Run        int           `json:"run"`
	Exit       int           `json:"exit"`
	TPS        float64       `json:"tps"`
	Failed     int64         `json:"failed"`
	CPUTicks   float64       `json:"cpu_ticks"`
	ClkTck     float64       `json:"clk_tck"`
	LoadBefore float64       `json:"load_before"`
	Busy       []float64     `json:"busy"`
	BusyEnd    []float64     `json:"busy_end"`
	Report     *chargeReport `json:"report"`
	Setup      *chargeReport `json:"setup"`
	Engine     string        `json:"engine"`
	Ledger     *ledger       `json:"ledger"`
	Cmd        string        `json:"cmd"`
	What       string        `json:"what"`
}

func (l *line) busyShare() float64 {
	if len(l.Busy) != 2 || len(l.BusyEnd) != 2 || l.BusyEnd[1] <= l.Busy[1] {
		return 0
	}
	return (l.BusyEnd[0] - l.Busy[0]) / (l.BusyEnd[1] - l.Busy[1])
}

type key struct {
	mode string
	c    int
}

// point is a mode × concurrency: every run's figures, in order.
type point struct {
	key
	refTPS, refBusy, refLoad                         []float64
	rate, p50, p95, p99, max, cpu, busy, load, share []float64
	refFailed, errors                                int64
	errorsBy                                         map[string]int64
}

func main() {
	rawPath := flag.String("raw", "", "raw measurements")
	mdPath := flag.String("md", "BENCHMARKS.md", "file to write the section into")
	seconds := flag.Int("seconds", 10, "seconds per run")
	runs := flag.Int("runs", 3, "runs per point")
	pg := flag.String("pg", "", "PostgreSQL version")
	server := flag.String("server", "saldo serve", "what served the charges")
	flag.Parse()
	f, err := os.Open(*rawPath)
	if err != nil {
		log.Fatal(err)
	}
	points := map[key]*point{}
	get := func(mode string, c int) *point {
		k := key{mode, c}
		if points[k] == nil {
			points[k] = &point{key: k, errorsBy: map[string]int64{}}
		}
		return points[k]
	}
	var (
		setup                  *chargeReport
		okCharges              int64
		saldoLedger, refLedger *ledger
		verifyExit, refExit    = -1, -1
		verifyOut, refOut      string
		commands               = map[string]string{}
	)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			log.Fatalf("%s: %v", sc.Text(), err)
		}
		switch l.Kind {
		case "charge_reference":
			p := get(l.Mode, l.C)
			if l.TPS > 0 {
				p.refTPS = append(p.refTPS, l.TPS)
				p.refBusy = append(p.refBusy, l.busyShare())
				p.refLoad = append(p.refLoad, l.LoadBefore)
			}
			p.refFailed += l.Failed
			if l.Exit != 0 && l.Failed == 0 {
				p.refFailed++
			}
		case "charge_warmup":
			okCharges += l.Report.OK
		case "charge_saldo":
			r := l.Report
			okCharges += r.OK
			p := get(l.Mode, l.C)
			p.rate = append(p.rate, r.PerS)
			p.p50 = append(p.p50, r.Latency["p50"])
			p.p95 = append(p.p95, r.Latency["p95"])
			p.p99 = append(p.p99, r.Latency["p99"])
			p.max = append(p.max, r.Latency["max"])
			p.busy = append(p.busy, l.busyShare())
			p.load = append(p.load, l.LoadBefore)
			if len(l.Busy) == 2 && len(l.BusyEnd) == 2 && l.BusyEnd[1] > l.Busy[1] {
				p.share = append(p.share, l.CPUTicks/(l.BusyEnd[1]-l.Busy[1]))
			}
			if r.OK > 0 && l.ClkTck > 0 {
				p.cpu = append(p.cpu, l.CPUTicks/l.ClkTck*1000/float64(r.OK))
			}
			p.errors += r.Errors
			if l.Exit != 0 && r.Errors == 0 {
				p.errors++
			}
			for k, v := range r.ErrorsBy {
				p.errorsBy[k] += v
			}
		case "charge_setup":
			setup = l.Setup
		case "ledger":
			if l.Engine == "reference" {
				refLedger = l.Ledger
			} else {
				saldoLedger = l.Ledger
			}
		case "ledger_verify":
			verifyExit, verifyOut = l.Exit, l.Cmd
		case "ledger_verify_reference":
			refExit, refOut = l.Exit, l.Cmd
		case "command":
			commands[l.What] = l.Cmd
		}
	}
	if err := sc.Err(); err != nil {
		log.Fatal(err)
	}
	var list []*point
	for _, p := range points {
		list = append(list, p)
	}
	slices.SortFunc(list, func(a, b *point) int {
		if a.mode != b.mode {
			return strings.Compare(modeOrder(a.mode), modeOrder(b.mode))
		}
		return a.c - b.c
	})

	var b strings.Builder
	fmt.Fprintf(&b, "_Generated by `bench/charges.sh` on %s with BENCH_SECONDS=%d, BENCH_RUNS=%d: every figure is the median of %d runs of %d s. Server: %s._\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), *seconds, *runs, *runs, *seconds, *server)
	fmt.Fprintf(&b, "**Machine.** %d CPUs (`nproc`), %s; %s; %s. %s. saldo, saldo-load, pgbench and PostgreSQL all share these CPUs, "+
		"and so did other people's test runs: the load average (`uptime`, 1 minute) before each run is in the tables. All traffic is to 127.0.0.1.\n\n",
		runtime.NumCPU(), cpuModel(), kernel(), *pg, runtime.Version())
	b.WriteString("| mode | clients | reference tps | saldo charges/s | saldo / reference | hot / random (saldo) | hot / random (reference) | saldo p50 ms | saldo p99 ms | errors (saldo / reference) | server CPU ms per charge | load average before (reference / saldo runs) |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, p := range list {
		ratio, hot, refHot := "—", "—", "—"
		if median(p.refTPS) > 0 {
			ratio = fmt.Sprintf("%.2f", median(p.rate)/median(p.refTPS))
		}
		if r := points[key{"random", p.c}]; p.mode == "hot" && r != nil {
			hot = fmt.Sprintf("%.2f", median(p.rate)/median(r.rate))
			refHot = fmt.Sprintf("%.2f", median(p.refTPS)/median(r.refTPS))
		}
		fmt.Fprintf(&b, "| %s | %d | %.0f | %.0f | %s | %s | %s | %.1f | %.1f | %d / %d | %.2f | %s / %s |\n", p.mode, p.c,
			median(p.refTPS), median(p.rate), ratio, hot, refHot, median(p.p50), median(p.p99), p.errors, p.refFailed,
			median(p.cpu), nums(p.refLoad, 1), nums(p.load, 1))
	}
	n := 0
	if setup != nil {
		n = setup.Children
	}
	setupSeconds := 0.0
	if setup != nil && setup.Setup != nil {
		setupSeconds = setup.Setup.ElapsedSeconds
	}
	fmt.Fprintf(&b, "\nThe reference is pgbench running `bench/charge.sql`: what one charge does in PostgreSQL, as plain SQL in one transaction "+
		"(the partner token check, the charge's transaction row, the child's locked charge within its credit line, 2 entries, the event), "+
		"on %d children seeded by `bench/charge_seed.sql`; saldo's figures are `POST /wallet/v1/composite-balance/child/{child_id}/charge` "+
		"over HTTP on %d children that saldo-load created through the API (%.1f s: customers with a composite parent of 10^12 cents, one child "+
		"of 10^9 each). random: each charge on a child at random; hot: every charge on one child. 1 cent a charge, posted at once (`capture: true`), "+
		"each with its own `externalTransactionId`.\n\n", n, n, setupSeconds)

	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**missed**"
	}
	b.WriteString("**Targets** (the ledger's: random ≥ 0.7 of the same-run reference at 8 and 16 clients; hot ≥ 0.5 of random; p99 at 16 clients ≤ 25 ms).\n\n")
	for _, p := range list {
		if p.mode == "random" && median(p.refTPS) > 0 {
			r := median(p.rate) / median(p.refTPS)
			fmt.Fprintf(&b, "- random children at %d clients ≥ 0.7 of the reference: %s, %.2f\n", p.c, verdict(r >= 0.7), r)
		}
	}
	for _, p := range list {
		if r := points[key{"random", p.c}]; p.mode == "hot" && r != nil && median(r.rate) > 0 {
			h := median(p.rate) / median(r.rate)
			fmt.Fprintf(&b, "- hot child at %d clients ≥ 0.5 of random children: %s, %.2f\n", p.c, verdict(h >= 0.5), h)
		}
	}
	for _, p := range list {
		if p.c == 16 {
			fmt.Fprintf(&b, "- p99 at 16 clients ≤ 25 ms, %s: %s, %.1f ms\n", p.mode, verdict(median(p.p99) <= 25), median(p.p99))
		}
	}

	b.WriteString("\n<details><summary>Every charge run</summary>\n\n")
	b.WriteString("| mode | clients | reference tps | saldo charges/s | saldo p99 ms | saldo p95 ms | saldo max ms | load average before (reference / saldo) | machine CPU busy (reference / saldo runs) | saldo server's share of the machine | errors by status/code |\n")
	b.WriteString("|---|---:|---|---|---|---:|---:|---|---:|---:|---|\n")
	for _, p := range list {
		var errs []string
		for k, v := range p.errorsBy {
			errs = append(errs, fmt.Sprintf("`%s` × %d", k, v))
		}
		slices.Sort(errs)
		if len(errs) == 0 {
			errs = []string{"none"}
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %.1f | %.1f | %s / %s | %.0f %% / %.0f %% | %.0f %% | %s |\n", p.mode, p.c,
			nums(p.refTPS, 0), nums(p.rate, 0), nums(p.p99, 1), median(p.p95), median(p.max), nums(p.refLoad, 2), nums(p.load, 2),
			median(p.refBusy)*100, median(p.busy)*100, median(p.share)*100, strings.Join(errs, ", "))
	}
	b.WriteString("\n</details>\n\n")

	if l := saldoLedger; l != nil {
		fmt.Fprintf(&b, "**Ledger after the runs.** saldo's: %d transactions (%d charges), %d entries; %d transactions whose entries are fewer than two "+
			"or do not sum to zero, %d balances that are not the sum of their entries, %d children whose debt + held is above their credit limit; "+
			"the entries sum to %d; the hot child's debt is %d cents. saldo-load counted %d successful charges, warm-ups included; the ledger holds %d.",
			l.Transactions, l.Charges, l.Entries, l.Unbalanced, l.Mismatched, l.OverCredit, l.SumOfEntries, l.HotDebt, okCharges, l.Charges)
	}
	if verifyExit >= 0 {
		fmt.Fprintf(&b, " `saldo ledger verify` exited %d: `%s`.", verifyExit, strings.Join(strings.Fields(verifyOut), " "))
	}
	if l := refLedger; l != nil {
		fmt.Fprintf(&b, " The reference's: %d charges, %d unbalanced, %d mismatched balances, %d children over their limit",
			l.Charges, l.Unbalanced, l.Mismatched, l.OverCredit)
		if refExit >= 0 {
			fmt.Fprintf(&b, "; `saldo ledger verify` on its schema exited %d (`%s`)", refExit, lastLine(refOut))
		}
		b.WriteString(".")
	}
	b.WriteString("\n\n**Commands.**\n\n```sh\n")
	for _, w := range []string{"run", "server", "partner", "reference", "setup", "saldo"} {
		if c := commands[w]; c != "" {
			b.WriteString(c + "\n")
		}
	}
	b.WriteString("```\n")
	if err := splice(*mdPath, b.String()); err != nil {
		log.Fatal(err)
	}
}

func modeOrder(m string) string {
	if m == "random" {
		return "0"
	}
	return "1" + m
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func nums(xs []float64, digits int) string {
	var parts []string
	for _, x := range xs {
		parts = append(parts, fmt.Sprintf("%.*f", digits, x))
	}
	return strings.Join(parts, ", ")
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if name, ok := strings.CutPrefix(l, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
		}
	}
	return "unknown CPU"
}

func kernel() string {
	out, err := exec.Command("uname", "-sr").Output()
	if err != nil {
		return "unknown kernel"
	}
	return strings.TrimSpace(string(out))
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
