package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// report is a run's outcome; --json prints it as is.
type report struct {
	URL              string           `json:"url"`
	Prefix           string           `json:"prefix"`
	SeqStart         uint64           `json:"seq_start"`
	SeqEnd           uint64           `json:"seq_end"` // one past the last sequence number sent: a safe --seq-offset for the next run
	Concurrency      int              `json:"concurrency"`
	Composite        bool             `json:"composite"`
	Sent             int64            `json:"sent"`
	OK               int64            `json:"ok"`
	Errors           int64            `json:"errors"`
	ElapsedSeconds   float64          `json:"elapsed_s"`
	CreatesPerSecond float64          `json:"creates_per_s"` // successful creates per second of wall time
	Latency          latencyReport    `json:"latency_ms"`
	ErrorsBy         map[string]int64 `json:"errors_by"` // "status/code hints" or "transport/kind"
	Verify           *verifyReport    `json:"verify,omitempty"`
	Interrupted      bool             `json:"interrupted"`
}

// latencyReport holds nearest-rank percentiles of every request's latency, in milliseconds.
type latencyReport struct {
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// verifyReport is the outcome of reading every created customer back.
type verifyReport struct {
	Expected   int64    `json:"expected"` // customers created, so to read back
	Checked    int64    `json:"checked"`  // read back (fewer only when interrupted)
	Missing    int64    `json:"missing"`
	Mismatched int64    `json:"mismatched"`
	Errors     int64    `json:"errors"`
	Samples    []string `json:"samples,omitempty"`
}

func (v *verifyReport) failed() bool {
	return v.Checked != v.Expected || v.Missing+v.Mismatched+v.Errors > 0
}

func newReport(cfg *config, sent int64, elapsed time.Duration, stats []workerStats) *report {
	r := &report{
		URL:            cfg.url,
		Prefix:         cfg.prefix,
		SeqStart:       cfg.seqOffset,
		SeqEnd:         (cfg.seqOffset + uint64(sent)) % seqSpace,
		Concurrency:    cfg.concurrency,
		Composite:      cfg.composite,
		Sent:           sent,
		ElapsedSeconds: elapsed.Seconds(),
		ErrorsBy:       map[string]int64{},
	}
	var all []time.Duration
	all, r.Latency, r.ErrorsBy, r.Errors = summarize(stats)
	r.OK = int64(len(all)) - r.Errors
	if elapsed > 0 {
		r.CreatesPerSecond = float64(r.OK) / elapsed.Seconds()
	}
	return r
}

// summarize merges the workers' figures: every latency, sorted, their percentiles, and the
// errors by problem and in all.
func summarize(stats []workerStats) (all []time.Duration, lat latencyReport, errorsBy map[string]int64, errs int64) {
	n := 0
	for i := range stats {
		n += len(stats[i].latencies)
	}
	all = make([]time.Duration, 0, n)
	errorsBy = map[string]int64{}
	for i := range stats {
		all = append(all, stats[i].latencies...)
		for k, v := range stats[i].errors {
			errorsBy[k] += v
			errs += v
		}
	}
	slices.Sort(all)
	var sum time.Duration
	for _, d := range all {
		sum += d
	}
	lat = latencyReport{
		P50: ms(percentile(all, 50)),
		P95: ms(percentile(all, 95)),
		P99: ms(percentile(all, 99)),
		Max: ms(percentile(all, 100)),
	}
	if len(all) > 0 {
		lat.Mean = ms(sum / time.Duration(len(all)))
	}
	return all, lat, errorsBy, errs
}

// percentile returns the nearest-rank p-th percentile (0 < p ≤ 100) of sorted, which is in
// ascending order: the smallest value that at least p percent of the values do not exceed,
// sorted[⌈p/100·n⌉−1]. p ≤ 0 gives the minimum; an empty slice gives 0.
func percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	// p·n/100 rather than p/100·n keeps whole results exact; the epsilon absorbs the rounding
	// of a fractional p (90.9·11000/100 is 9999.000000000002 in floating point).
	rank := int(math.Ceil(p*float64(n)/100 - 1e-9))
	return sorted[min(max(rank, 1), n)-1]
}

func ms(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Millisecond)*1000) / 1000
}

// failure is the error that makes the command exit non-zero, or nil when all went well.
func (r *report) failure() error {
	var why []string
	if r.Errors > 0 {
		why = append(why, fmt.Sprintf("%d of %d creates failed", r.Errors, r.Sent))
	}
	if r.Verify != nil && r.Verify.failed() {
		why = append(why, fmt.Sprintf("verify: %d of %d read back, %d missing, %d mismatched, %d errors",
			r.Verify.Checked, r.Verify.Expected, r.Verify.Missing, r.Verify.Mismatched, r.Verify.Errors))
	}
	if r.Interrupted {
		why = append(why, "interrupted")
	}
	if len(why) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(why, "; "))
}

func (r *report) writeJSON(w io.Writer) error {
	return json.NewEncoder(w).Encode(r)
}

func (r *report) writeText(w io.Writer) error {
	var b strings.Builder
	mode := ""
	if r.Composite {
		mode = ", composite"
	}
	fmt.Fprintf(&b, "saldo-load: %d creates sent in %.2fs at concurrency %d%s (prefix %s, seq %d–%d)\n",
		r.Sent, r.ElapsedSeconds, r.Concurrency, mode, r.Prefix, r.SeqStart, r.SeqEnd)
	writeOutcome(&b, r.OK, "creates/s", r.CreatesPerSecond, r.Latency, r.Errors, r.ErrorsBy)
	if v := r.Verify; v != nil {
		fmt.Fprintf(&b, "  verify      %d of %d read back: %d missing, %d mismatched, %d errors\n",
			v.Checked, v.Expected, v.Missing, v.Mismatched, v.Errors)
		for _, s := range v.Samples {
			fmt.Fprintf(&b, "    %s\n", s)
		}
	}
	if r.Interrupted {
		b.WriteString("  interrupted\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeOutcome writes the lines every scenario's text report shares: the successes, the rate
// (rateLabel, such as "creates/s"), the latency and the errors by kind.
func writeOutcome(w io.Writer, ok int64, rateLabel string, rate float64, l latencyReport, errs int64, errorsBy map[string]int64) {
	fmt.Fprintf(w, "  ok          %d\n", ok)
	fmt.Fprintf(w, "  %-11s %.1f\n", rateLabel, rate)
	fmt.Fprintf(w, "  latency     p50 %.2fms  p95 %.2fms  p99 %.2fms  max %.2fms  mean %.2fms\n", l.P50, l.P95, l.P99, l.Max, l.Mean)
	fmt.Fprintf(w, "  errors      %d\n", errs)
	for _, k := range slices.Sorted(maps.Keys(errorsBy)) {
		fmt.Fprintf(w, "    %-40s %d\n", k, errorsBy[k])
	}
}
