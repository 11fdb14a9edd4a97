package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/saldo-mx/saldo"
	"github.com/saldo-mx/saldo/client"
	"github.com/saldo-mx/saldo/internal/gen"
)

// seqSpace is how many sequence numbers give distinct customers: gen's RFC is unique for seq
// below 26⁴·36², its CURP below 26⁴·21³ and its mobile below 10⁹, so the RFC bounds it.
const seqSpace = 26 * 26 * 26 * 26 * 36 * 36

// seqPerMilli is how far the default sequence offset moves per millisecond of wall time:
// back-to-back runs never overlap as long as each creates fewer than 10,000 customers a
// second, and the offsets wrap after seqSpace/10,000 s ≈ 16 hours.
const seqPerMilli = 10

// defaultSeqOffset derives a run's first sequence number from the time, so that runs against
// the same database send distinct mobiles, RFCs and CURPs (the prefix keeps emails apart).
func defaultSeqOffset(now time.Time) uint64 {
	return uint64(now.UnixMilli()) * seqPerMilli % seqSpace
}

// loader is one run of the generator.
type loader struct {
	cfg       *config
	stderr    io.Writer
	transport *http.Transport
	api       *client.Client
	// For the requests the client has no method for: the same transport, and the
	// Authorization-ecommerce header value.
	httpClient    *http.Client
	partnerHeader []string

	next         atomic.Int64 // the next request's index
	done, failed atomic.Int64
}

// createdCustomer is what --verify needs to read a customer back and compare it.
type createdCustomer struct {
	id     int64
	seq    uint64
	parent string
}

// workerStats is what one worker gathered; merged after the run, so workers share nothing.
type workerStats struct {
	latencies []time.Duration
	errors    map[string]int64
	created   []createdCustomer
}

func newLoader(cfg *config, stderr io.Writer) *loader {
	tr := &http.Transport{
		// All traffic goes straight to the server under test, never through a proxy.
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        cfg.concurrency,
		MaxIdleConnsPerHost: cfg.concurrency,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	hc := &http.Client{Transport: tr, Timeout: cfg.timeout}
	return &loader{
		cfg:           cfg,
		stderr:        stderr,
		transport:     tr,
		api:           client.New(cfg.url, cfg.token, client.WithHTTPClient(hc), client.WithUserAgent("saldo-load")),
		httpClient:    hc,
		partnerHeader: []string{cfg.token},
	}
}

func (l *loader) run(ctx context.Context) (*report, error) {
	defer l.transport.CloseIdleConnections()
	c := l.cfg.concurrency
	stats := make([]workerStats, c)
	perWorker := 1024
	if l.cfg.count > 0 {
		perWorker = int(l.cfg.count)/c + 1
	}

	stop := make(chan struct{})
	start := time.Now()
	if l.cfg.duration > 0 {
		t := time.AfterFunc(l.cfg.duration, func() { close(stop) })
		defer t.Stop()
	}
	stopProgress := l.showProgress(start)
	// A worker that meets a refused token halts every worker through runCtx.
	runCtx, halt := context.WithCancelCause(ctx)
	defer halt(nil)
	var wg sync.WaitGroup
	for w := range stats {
		stats[w] = workerStats{latencies: make([]time.Duration, 0, perWorker), errors: map[string]int64{}}
		wg.Go(func() { l.worker(runCtx, halt, stop, &stats[w]) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	stopProgress()
	if refused, ok := errors.AsType[*refusedTokenError](context.Cause(runCtx)); ok {
		refused.sent = l.next.Load()
		return nil, refused
	}

	rep := newReport(l.cfg, l.next.Load(), elapsed, stats)
	rep.Interrupted = ctx.Err() != nil
	if l.cfg.verify && !rep.Interrupted {
		var created []createdCustomer
		for i := range stats {
			created = append(created, stats[i].created...)
		}
		rep.Verify = l.verifyAll(ctx, created)
		rep.Interrupted = ctx.Err() != nil
	}
	return rep, nil
}

// showProgress prints done, rate and errors to stderr once a second until the returned
// function is called.
func (l *loader) showProgress(start time.Time) (stop func()) {
	if !l.cfg.progress {
		return func() {}
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		var last int64
		for {
			select {
			case <-quit:
				return
			case now := <-tick.C:
				done := l.done.Load()
				fmt.Fprintf(l.stderr, "saldo-load: %4.0fs  done %d  rate %d/s  errors %d\n",
					now.Sub(start).Seconds(), done, done-last, l.failed.Load())
				last = done
			}
		}
	})
	return func() { close(quit); wg.Wait() }
}

// createdAccount is the part of the create's answer the generator reads. Decoding only it,
// rather than all of client.CreatedAccount, keeps the generator's CPU time per create, on
// the machine of the server it measures, where it was before it used the client.
type createdAccount struct {
	ID               int64                    `json:"id"`
	Email            string                   `json:"email"`
	CompositeBalance *client.CompositeBalance `json:"composite_balance"`
}

// refusedTokenError ends a run at its first 401: every later request would be refused too, and
// a run of refusals measures nothing.
type refusedTokenError struct {
	problem string // as the report would count it: "401/4401"
	sent    int64  // requests sent before every worker stopped
}

func (e *refusedTokenError) Error() string {
	return fmt.Sprintf("the server refused the partner token (%s): check --token or SALDO_LOAD_TOKEN; stopped the run after %d requests",
		e.problem, e.sent)
}

// worker sends creates until stop, ctx's end or the count; at a 401 it halts the whole run.
func (l *loader) worker(ctx context.Context, halt context.CancelCauseFunc, stop <-chan struct{}, ws *workerStats) {
	var (
		body []byte
		key  []byte
		info client.ResponseInfo
		opts []client.CallOption
	)
	// Made once: the option only points at info, which every call overwrites.
	withInfo := client.WithResponseInfo(&info)
	for {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		default:
		}
		i := l.next.Add(1) - 1
		if l.cfg.count > 0 && i >= l.cfg.count {
			l.next.Add(-1) // so the report's "sent" counts only what was sent
			return
		}
		seq := (l.cfg.seqOffset + uint64(i)) % seqSpace
		r := gen.Customer(l.cfg.prefix, seq)
		// The body is built by hand, without reflection: this loop shares the machine with the
		// server it measures. The client copies it, so the buffer is reused.
		body = appendCreateBody(body[:0], &r, l.cfg.composite, l.cfg.creditLine)
		opts = append(opts[:0], withInfo)
		if l.cfg.idempotency {
			key = strconv.AppendUint(append(append(key[:0], l.cfg.prefix...), "key"...), seq, 10)
			opts = append(opts, client.WithIdempotencyKey(string(key)))
		}

		started := time.Now()
		acct, err := client.CreateAccountJSONAs[createdAccount](ctx, l.api, body, opts...)
		ws.latencies = append(ws.latencies, time.Since(started))

		var problem string
		switch {
		case err != nil:
			problem = createProblem(err, info.StatusCode)
		case acct.ID <= 0 || acct.Email != r.Email:
			problem = "200/unexpected_customer"
		case l.cfg.composite && (acct.CompositeBalance == nil || acct.CompositeBalance.Parent.ID == ""):
			problem = "200/no_composite_parent"
		}
		if info.StatusCode == http.StatusUnauthorized {
			halt(&refusedTokenError{problem: problem})
			return
		}
		if problem != "" {
			ws.errors[problem]++
			l.failed.Add(1)
		} else if l.cfg.verify {
			c := createdCustomer{id: acct.ID, seq: seq}
			if acct.CompositeBalance != nil {
				c.parent = acct.CompositeBalance.Parent.ID
			}
			ws.created = append(ws.created, c)
		}
		l.done.Add(1)
	}
}

// createProblem names a create that failed: a refusal by status, code and hints; an answer
// that is not the contract's by its status (from the call's response info); a request that
// got no answer by its transport failure.
func createProblem(err error, status int) string {
	if apiErr, ok := errors.AsType[*client.Error](err); ok && apiErr.Code != 0 {
		return envelopeProblem(apiErr)
	}
	if errors.Is(err, client.ErrUnexpectedResponse) {
		return strconv.Itoa(status) + "/unparseable_body"
	}
	return transportProblem(err)
}

// readProblem names a --verify read that failed: an answer by its HTTP status (from the
// call's response info), a request that got no answer by its transport failure.
func readProblem(err error, status int) string {
	if _, ok := errors.AsType[*client.Error](err); !ok && !errors.Is(err, client.ErrUnexpectedResponse) {
		return transportProblem(err)
	}
	return "HTTP " + strconv.Itoa(status)
}

// envelopeProblem names a refused request: "status/code" and the machine hints, which say
// which fields were refused ("409/4409 email:duplicate").
func envelopeProblem(e *client.Error) string {
	s := strconv.Itoa(e.StatusCode) + "/" + strconv.Itoa(e.Code)
	if len(e.Hints) > 0 {
		hints := e.Hints
		if len(hints) > 4 {
			hints = append(hints[:4:4], "…")
		}
		s += " " + strings.Join(hints, ",")
	}
	return s
}

// transportProblem names a request that got no answer, in few enough words that the same
// failure always counts under the same name.
func transportProblem(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return "transport/canceled"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return "transport/timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "transport/connection_refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "transport/connection_reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "transport/eof"
	}
	return "transport/other"
}

// appendCreateBody appends the JSON create request for r to b: mobile and gender as JSON
// numbers, as partners send them.
func appendCreateBody(b []byte, r *saldo.CreateCustomerRequest, composite bool, creditLine int64) []byte {
	b = append(b, `{"email":`...)
	b = appendJSONString(b, r.Email)
	b = append(b, `,"mobile":`...)
	b = append(b, r.Mobile...)
	b = append(b, `,"first_name":`...)
	b = appendJSONString(b, r.FirstName)
	b = append(b, `,"last_name":`...)
	b = appendJSONString(b, r.LastName)
	b = append(b, `,"second_last_name":`...)
	b = appendJSONString(b, r.SecondLastName)
	b = append(b, `,"gender":`...)
	b = append(b, r.Gender...)
	b = append(b, `,"rfc":`...)
	b = appendJSONString(b, r.RFC)
	b = append(b, `,"curp":`...)
	b = appendJSONString(b, r.CURP)
	b = append(b, `,"date_of_birth":`...)
	b = appendJSONString(b, r.DateOfBirth)
	if composite {
		b = append(b, `,"composite_balance":{"parent":{"credit_line":`...)
		b = strconv.AppendInt(b, creditLine, 10)
		b = append(b, `}}`...)
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string. s is valid UTF-8 (gen's data and a checked
// prefix), so only quotes, backslashes and control characters need escaping.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// verifyAll reads every created customer back with the partner token, concurrency at a time.
func (l *loader) verifyAll(ctx context.Context, created []createdCustomer) *verifyReport {
	var (
		next                                 atomic.Int64
		checked, missing, mismatched, failed atomic.Int64
		mu                                   sync.Mutex
		samples                              []string
		wg                                   sync.WaitGroup
	)
	sample := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		if len(samples) < 5 {
			samples = append(samples, s)
		}
	}
	for range l.cfg.concurrency {
		wg.Go(func() {
			var info client.ResponseInfo
			withInfo := client.WithResponseInfo(&info)
			for {
				i := next.Add(1) - 1
				if i >= int64(len(created)) || ctx.Err() != nil {
					return
				}
				c := created[i]
				acct, err := l.api.GetAccount(ctx, c.id, withInfo)
				if ctx.Err() != nil {
					return // interrupted: this one was not read, and the report says so
				}
				checked.Add(1)
				switch {
				case client.IsNotFound(err):
					missing.Add(1)
					sample(fmt.Sprintf("customer %d: missing", c.id))
				case err != nil:
					failed.Add(1)
					sample(fmt.Sprintf("customer %d: %s", c.id, readProblem(err, info.StatusCode)))
				default:
					want := gen.Customer(l.cfg.prefix, c.seq).Email
					var parent string
					if acct.CompositeBalance != nil {
						parent = acct.CompositeBalance.Parent.ID
					}
					if acct.ID != c.id || acct.Email != want || parent != c.parent || l.cfg.composite && parent == "" {
						mismatched.Add(1)
						sample(fmt.Sprintf("customer %d: got email %q parent %q, want %q parent %q", c.id, acct.Email, parent, want, c.parent))
					}
				}
			}
		})
	}
	wg.Wait()
	return &verifyReport{
		Expected:   int64(len(created)),
		Checked:    checked.Load(),
		Missing:    missing.Load(),
		Mismatched: mismatched.Load(),
		Errors:     failed.Load(),
		Samples:    samples,
	}
}

// scenarioWorker sends one scenario's requests until stop closes or ctx ends, recording each
// in ws; halt stops every worker with a cause.
type scenarioWorker func(ctx context.Context, halt context.CancelCauseFunc, stop <-chan struct{}, rng *rand.Rand, ws *workerStats)

// runWorkers runs --concurrency workers of a scenario for --duration (or until they stop on
// their own), with the progress line, and returns what each recorded and how long it took. A
// partner token refused mid-run is the error.
func (l *loader) runWorkers(ctx context.Context, worker scenarioWorker) ([]workerStats, time.Duration, error) {
	stats := make([]workerStats, l.cfg.concurrency)
	perWorker := 1024
	if l.cfg.count > 0 {
		perWorker = int(l.cfg.count)/len(stats) + 1
	}
	stop := make(chan struct{})
	start := time.Now()
	if l.cfg.duration > 0 {
		t := time.AfterFunc(l.cfg.duration, func() { close(stop) })
		defer t.Stop()
	}
	stopProgress := l.showProgress(start)
	runCtx, halt := context.WithCancelCause(ctx)
	defer halt(nil)
	var wg sync.WaitGroup
	for w := range stats {
		stats[w] = workerStats{latencies: make([]time.Duration, 0, perWorker), errors: map[string]int64{}}
		seed := uint64(time.Now().UnixNano()) + uint64(w)*0x9e3779b97f4a7c15
		wg.Go(func() { worker(runCtx, halt, stop, rand.New(rand.NewPCG(seed, uint64(w))), &stats[w]) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	stopProgress()
	if refused, ok := errors.AsType[*refusedTokenError](context.Cause(runCtx)); ok {
		refused.sent = l.next.Load()
		return nil, elapsed, refused
	}
	return stats, elapsed, nil
}

// loadSet reads a scenario's set-up from path into set, when path names a file that exists
// and the run is not a set-up alone; it reports whether it did.
func loadSet[T any](path string, setupOnly bool, set *T) (bool, error) {
	if path == "" || setupOnly {
		return false, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if err := json.Unmarshal(b, set); err != nil {
		return false, fmt.Errorf("%s: %v", path, err)
	}
	return true, nil
}

// saveSet writes a scenario's set-up to path, for later runs to reuse.
func saveSet[T any](path string, set *T) error {
	b, err := json.Marshal(set)
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o600)
}

// runFailure is the error of a scenario run of what (charges, transfers) that makes the
// command exit non-zero, or nil when all went well.
func runFailure(what string, failed, sent int64, interrupted bool) error {
	switch {
	case failed > 0 && interrupted:
		return fmt.Errorf("%d of %d %s failed; interrupted", failed, sent, what)
	case failed > 0:
		return fmt.Errorf("%d of %d %s failed", failed, sent, what)
	case interrupted:
		return errors.New("interrupted")
	}
	return nil
}
