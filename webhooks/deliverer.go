// Package webhooks delivers the partners' webhooks: it leases the endpoints' cursors over
// their partners' events and the due retries, sends them signed per Standard Webhooks 1.0 over
// an HTTP client that refuses local addresses at connect time, and records every attempt. The
// rules and the state (the cursors, the retry schedule, the leases, disabling endpoints) are
// the service's; this package is the sending.
package webhooks

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/saldo-mx/saldo"
)

// Defaults of Options.
const (
	DefaultWorkers      = 16
	DefaultPerEndpoint  = 2
	DefaultPollInterval = 200 * time.Millisecond
	DefaultLease        = 60 * time.Second
	DefaultTimeout      = 15 * time.Second // the contract: a 2xx within 15 s is success
	DefaultBusyRate     = 100
)

// Options tune a Deliverer; zero fields take the defaults.
type Options struct {
	// AllowInsecure allows http:// endpoints and local addresses (loopback, private,
	// link-local, metadata), for development and tests. Off, only https:// is sent and the
	// dialer refuses any address saldo.BlockedAddr blocks, whatever a name resolves to when
	// the connection is made (DNS rebinding).
	AllowInsecure bool
	// Workers is how many attempts run at once in this process.
	Workers int
	// PerEndpoint is how many attempts run at once to one endpoint, so that a slow or dead
	// endpoint holds at most these workers.
	PerEndpoint int
	// PollInterval is how often the outbox and the due deliveries are looked at when idle.
	PollInterval time.Duration
	// Lease is how long a claimed delivery is this process's: if the process dies, another
	// (or this one restarted) takes the delivery up when the lease runs out. An attempt lasts
	// at most Timeout and at most half the lease.
	Lease time.Duration
	// Timeout bounds an attempt: connecting, sending and reading the answer.
	Timeout time.Duration
	// Drain is how long attempts in flight may go on after Run's context ends; then they are
	// cut off, left unrecorded, and sent again when their lease runs out.
	Drain time.Duration
	// Busy, when set, tells whether the API is busy. While it is, attempts start at most
	// BusyRate a second: delivery yields the CPUs to the API and catches up when it is
	// quieter, since a webhook may wait and an API call may not.
	Busy func() bool
	// BusyRate is how many attempts a second start while Busy says so.
	BusyRate float64
}

func (o *Options) defaults() {
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.PerEndpoint <= 0 {
		o.PerEndpoint = DefaultPerEndpoint
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	o.Timeout = min(o.Timeout, o.Lease/2)
	if o.BusyRate <= 0 {
		o.BusyRate = DefaultBusyRate
	}
}

// Deliverer sends webhooks until its Run ends. Any number of processes may run one on the
// same database: each endpoint's cursor, and each retry, is leased to one of them at a time.
//
// New events go out in batches: a claim leases the cursors of endpoints with events past them,
// and each batch runs on its endpoint's free slots, in the feed's order, and stops at the
// first failure (that event goes to the retry queue; the next batch starts after it), when the
// lease has less than an attempt's time left, or when Run ends; its attempts are recorded in
// one transaction. Retries and test sends are deliveries, claimed one by one:
//
// Concurrency: at most Options.Workers attempts at once, and at most Options.PerEndpoint to
// one endpoint. A claimed delivery whose endpoint has its slots full does not take a worker:
// it waits in its endpoint's queue, in memory, and goes out on the next slot of that endpoint
// that frees, if its lease still leaves time for a whole attempt (else it is left to its lease,
// and claimed again when that runs out, by this process or another). The queue of an endpoint
// that keeps up counts as work to do, so a burst is not claimed faster than it goes out. An
// endpoint is slow when its slots have all been busy for 250 ms without an attempt ending: its
// queue (at most 64; more is left to the lease) then stops counting, so the claims move past
// its backlog to other endpoints. A hanging endpoint holds its own slots and queue, never a
// worker another endpoint could use.
type Deliverer struct {
	svc    *saldo.Service
	log    *slog.Logger
	o      Options
	client *http.Client

	mu       sync.Mutex
	inflight int                               // attempts running
	busy     map[int64]int                     // endpoint id: attempts running to it
	held     map[int64][]saldo.ClaimedDelivery // endpoint id: claimed, waiting for a slot
	progress map[int64]time.Time               // endpoint id: when an attempt to it last began idle or ended
	batching map[int64]bool                    // endpoint id: a batch of its events is running
	paced    time.Time                         // the earliest an attempt may start while the API is busy
	stats    Stats
	wake     chan struct{}
	wg       sync.WaitGroup
}

// Stats counts what a Deliverer has done since it was made.
type Stats struct {
	attempts atomic.Int64
	yielded  atomic.Int64 // nanoseconds attempts waited for a busy API
}

// Attempts is how many attempts were sent.
func (s *Stats) Attempts() int64 { return s.attempts.Load() }

// Yielded is how long attempts waited, in all, for the API to be less busy.
func (s *Stats) Yielded() time.Duration { return time.Duration(s.yielded.Load()) }

// Stats is what d has done.
func (d *Deliverer) Stats() *Stats { return &d.stats }

// maxHeld is how many claimed deliveries may wait for one endpoint's slots.
const maxHeld = 64

// NewDeliverer returns a Deliverer of svc's webhooks.
func NewDeliverer(svc *saldo.Service, log *slog.Logger, o Options) *Deliverer {
	o.defaults()
	return &Deliverer{svc: svc, log: log, o: o, client: NewClient(o.AllowInsecure, o.Timeout, o.Workers),
		busy: map[int64]int{}, progress: map[int64]time.Time{}, held: map[int64][]saldo.ClaimedDelivery{}, batching: map[int64]bool{},
		wake: make(chan struct{}, 1)}
}

// ErrAddressNotAllowed is why the dialer refuses a local address.
var ErrAddressNotAllowed = errors.New("address not allowed for webhooks (loopback, private, link-local or metadata)")

// NewClient returns the HTTP client of deliveries: it keeps up to perHost idle connections to
// a host (a Deliverer's workers: many endpoints may share a host, and a connection not kept is
// a new handshake for the next attempt), follows no redirect (a 3xx is the answer, and not a
// success), gives up after timeout, uses no proxy, and, unless insecure is allowed, refuses to connect to an address saldo.BlockedAddr blocks. The check runs on the
// address actually dialled, after name resolution, so a name that resolves to a public address
// when the endpoint is saved and to a local one later (DNS rebinding) is refused too.
func NewClient(allowInsecure bool, timeout time.Duration, perHost int) *http.Client {
	dialer := &net.Dialer{Timeout: min(10*time.Second, timeout), KeepAlive: 30 * time.Second}
	if !allowInsecure {
		dialer.Control = refuseBlocked
	}
	tr := &http.Transport{
		Proxy:                 nil, // a proxy would dial for us, past the address check
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   perHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   min(10*time.Second, timeout),
		ExpectContinueTimeout: time.Second,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// refuseBlocked is the dialer's Control: it runs for each address the dialer is about to
// connect to, after resolution.
func refuseBlocked(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || saldo.BlockedAddr(ap.Addr()) {
		return ErrAddressNotAllowed
	}
	return nil
}

// Run delivers until ctx ends, then lets the attempts in flight finish for up to
// Options.Drain and returns.
func (d *Deliverer) Run(ctx context.Context) {
	sendCtx, cutOff := context.WithCancel(context.WithoutCancel(ctx))
	defer cutOff()
	tick := time.NewTicker(d.o.PollInterval)
	defer tick.Stop()
	failing := false
	for {
		err := d.claim(ctx, sendCtx)
		if err == nil {
			err = d.claimBatches(ctx, sendCtx)
		}
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			d.log.Warn("webhook delivery: the database failed; trying again", "error", err)
			failing = true
		case err == nil && failing:
			d.log.Info("webhook delivery: the database answers again")
			failing = false
		}
		select {
		case <-ctx.Done():
			drained := make(chan struct{})
			go func() { d.wg.Wait(); close(drained) }()
			select {
			case <-drained:
			case <-time.After(d.o.Drain):
				cutOff()
				<-drained
			}
			return
		case <-tick.C:
		case <-d.wake:
		}
	}
}

// batchEvents is how many events a batch takes past its endpoint's cursor.
const batchEvents = saldo.MaxEventsLimit

// claimBatches leases the cursors of endpoints with events to send, as many as the free
// workers can serve at PerEndpoint each, passing over the endpoints whose slots are full here,
// and runs each batch on its endpoint's free slots.
func (d *Deliverer) claimBatches(ctx, sendCtx context.Context) error {
	d.mu.Lock()
	free := d.o.Workers - d.inflight
	var skip []int64
	for ep, n := range d.busy {
		// A batch running here may outlast its lease (a clock set forward): not claimed twice.
		if n >= d.o.PerEndpoint || d.batching[ep] {
			skip = append(skip, ep)
		}
	}
	d.mu.Unlock()
	if free <= 0 {
		return nil
	}
	batches, err := d.svc.ClaimEventBatches(ctx, d.o.Lease, (free+d.o.PerEndpoint-1)/d.o.PerEndpoint, batchEvents, skip)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := range batches {
		b := &batches[i]
		ep := b.Endpoint.ID
		// At least one: the claim asked for no more endpoints than the free workers, and only
		// this goroutine takes workers.
		slots := max(1, min(d.o.PerEndpoint-d.busy[ep], d.o.Workers-d.inflight))
		d.inflight += slots
		if d.busy[ep] == 0 {
			d.progress[ep] = time.Now()
		}
		d.busy[ep] += slots
		d.batching[ep] = true
		d.wg.Add(1)
		go d.runBatch(ctx, sendCtx, b, slots)
	}
	return nil
}

// runBatch sends a batch's events in order, slots at a time, records the attempts, and gives
// the slots back. It starts no attempt after one has failed, nor when the lease has less
// than an attempt's time left, nor once ctx (Run's) has ended; sendCtx cuts off the attempts
// out. The events not attempted stay past the cursor, for the next batch.
func (d *Deliverer) runBatch(ctx, sendCtx context.Context, b *saldo.EventBatch, slots int) {
	defer d.wg.Done()
	ep := b.Endpoint.ID
	attempts := make([]*saldo.WebhookAttempt, len(b.Events))
	var failed atomic.Bool
	sem := make(chan struct{}, slots)
	var wg sync.WaitGroup
	for i := range b.Events {
		sem <- struct{}{}
		if d.pace(ctx) != nil || failed.Load() || b.Cursor.LeaseUntil.Sub(d.svc.Now()) <= d.o.Timeout {
			break
		}
		c := b.Claimed(i)
		wg.Go(func() {
			defer func() { <-sem }()
			a := d.send(sendCtx, &c)
			d.mu.Lock()
			d.progress[ep] = time.Now()
			d.mu.Unlock()
			if sendCtx.Err() != nil && a.StatusCode == 0 {
				return // cut off: sent again from the cursor
			}
			attempts[i] = &a
			if !a.Succeeded() {
				failed.Store(true)
			}
		})
	}
	wg.Wait()
	rctx, cancel := context.WithTimeout(context.WithoutCancel(sendCtx), 10*time.Second)
	defer cancel()
	if err := d.svc.RecordEventBatch(rctx, b, attempts); err != nil {
		d.log.Warn("webhook delivery: recording a batch", "endpoint_id", ep, "error", err)
	} else if d.log.Enabled(rctx, slog.LevelDebug) {
		made := 0
		for _, a := range attempts {
			if a != nil {
				made++
			}
		}
		d.log.Debug("webhook batch", "endpoint_id", ep, "events", len(b.Events), "attempts", made, "failed", failed.Load())
	}
	d.endBatch(sendCtx, ep, slots)
}

// endBatch gives a batch's slots back, and hands them to the retries waiting for them.
func (d *Deliverer) endBatch(sendCtx context.Context, ep int64, slots int) {
	d.mu.Lock()
	d.inflight -= slots
	d.busy[ep] -= slots
	delete(d.batching, ep)
	now := d.svc.Now()
	for d.busy[ep] < d.o.PerEndpoint && d.inflight < d.o.Workers && len(d.held[ep]) > 0 {
		c := d.held[ep][0]
		d.held[ep] = d.held[ep][1:]
		if c.Delivery.LeaseUntil.Sub(now) > d.o.Timeout {
			d.start(sendCtx, c)
		}
	}
	if len(d.held[ep]) == 0 {
		delete(d.held, ep)
	}
	if d.busy[ep] == 0 {
		delete(d.busy, ep)
		delete(d.progress, ep)
	}
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// claim leases due deliveries for the free workers and starts them, or queues them behind
// their endpoint's attempts. Deliveries queued behind an endpoint that is keeping up count as
// work to do, so that a burst to one endpoint is not claimed faster than it can go out; those
// behind a slow endpoint do not, so that the claims move past its backlog to other endpoints.
func (d *Deliverer) claim(ctx, sendCtx context.Context) error {
	for range 10 {
		d.mu.Lock()
		free := d.o.Workers - d.inflight
		for ep, q := range d.held {
			if !d.slow(ep) {
				free -= len(q)
			}
		}
		d.mu.Unlock()
		if free <= 0 {
			return nil
		}
		claimed, err := d.svc.ClaimDeliveries(ctx, d.o.Lease, free)
		if err != nil {
			return err
		}
		more := len(claimed) == free
		d.mu.Lock()
		for _, c := range claimed {
			ep := c.Endpoint.ID
			switch {
			case d.busy[ep] < d.o.PerEndpoint && d.inflight < d.o.Workers && len(d.held[ep]) == 0:
				d.start(sendCtx, c)
			case !d.slow(ep):
				// It keeps up: its queue empties soon; claim no more this round.
				d.held[ep] = append(d.held[ep], c)
				more = false
			case len(d.held[ep]) < maxHeld:
				d.held[ep] = append(d.held[ep], c)
			default:
				// Behind a slow endpoint's full queue: left alone, its lease runs out and it
				// is claimed again then.
			}
		}
		d.mu.Unlock()
		if !more {
			return nil
		}
		// The workers left free may still find other endpoints' deliveries.
	}
	return nil
}

// slowAfter is how long an endpoint with every slot busy may go without finishing an attempt
// before it counts as slow.
const slowAfter = 250 * time.Millisecond

// slow reports whether endpoint ep has every slot busy and has finished no attempt for
// slowAfter; d.mu is held.
func (d *Deliverer) slow(ep int64) bool {
	return d.busy[ep] >= d.o.PerEndpoint && time.Since(d.progress[ep]) > slowAfter
}

// start runs an attempt of c on a worker; d.mu is held.
func (d *Deliverer) start(sendCtx context.Context, c saldo.ClaimedDelivery) {
	ep := c.Endpoint.ID
	d.inflight++
	if d.busy[ep] == 0 {
		d.progress[ep] = time.Now()
	}
	d.busy[ep]++
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		for {
			// Paced, the lease may have run short meanwhile: then it is left to run out.
			if d.pace(sendCtx) == nil && c.Delivery.LeaseUntil.Sub(d.svc.Now()) > d.o.Timeout {
				d.attempt(sendCtx, &c)
			}
			next, ok := d.next(ep)
			if !ok {
				break
			}
			c = next
		}
		select {
		case d.wake <- struct{}{}:
		default:
		}
	}()
}

// pace waits, while the API is busy, until an attempt may start under Options.BusyRate; it
// returns ctx's error if ctx ends first.
func (d *Deliverer) pace(ctx context.Context) error {
	if d.o.Busy == nil || !d.o.Busy() {
		return ctx.Err()
	}
	d.mu.Lock()
	now := time.Now()
	at := now
	if d.paced.After(now) {
		at = d.paced
	}
	d.paced = at.Add(time.Duration(float64(time.Second) / d.o.BusyRate))
	d.mu.Unlock()
	if !at.After(now) {
		return ctx.Err()
	}
	t := time.NewTimer(at.Sub(now))
	defer t.Stop()
	select {
	case <-t.C:
		d.stats.yielded.Add(int64(at.Sub(now)))
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// next is the next delivery queued for endpoint ep whose lease leaves time for an attempt,
// which the worker that has just finished one to ep takes on; or else it frees the worker.
func (d *Deliverer) next(ep int64) (saldo.ClaimedDelivery, bool) {
	now := d.svc.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.progress[ep] = time.Now()
	for len(d.held[ep]) > 0 {
		c := d.held[ep][0]
		d.held[ep] = d.held[ep][1:]
		if c.Delivery.LeaseUntil.Sub(now) > d.o.Timeout {
			return c, true
		}
		// Too late to send under its lease: another claim will take it up.
	}
	delete(d.held, ep)
	d.inflight--
	d.busy[ep]--
	if d.busy[ep] == 0 {
		delete(d.busy, ep)
		delete(d.progress, ep)
	}
	return saldo.ClaimedDelivery{}, false
}

// attempt sends c once and records the outcome. An attempt cut off because the process is
// stopping is not recorded: its lease runs out and it is sent again.
func (d *Deliverer) attempt(ctx context.Context, c *saldo.ClaimedDelivery) {
	a := d.send(ctx, c)
	if ctx.Err() != nil && a.StatusCode == 0 {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := d.svc.RecordAttempt(rctx, c, a); err != nil {
		d.log.Warn("webhook delivery: recording an attempt", "delivery_id", c.Delivery.ID, "error", err)
		return
	}
	d.log.Debug("webhook attempt", "delivery_id", c.Delivery.ID, "endpoint_id", c.Endpoint.ID, "event_id", c.Event.ID,
		"attempt", c.Delivery.Attempts+1, "status", a.StatusCode, "duration", a.Duration, "error", a.Error)
}

// send makes one HTTP attempt of c.
func (d *Deliverer) send(ctx context.Context, c *saldo.ClaimedDelivery) (a saldo.WebhookAttempt) {
	now := d.svc.Now()
	a.AttemptedAt = now
	begin := time.Now()
	defer func() { a.Duration = time.Since(begin) }()

	u, err := url.Parse(c.Endpoint.URL)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http"):
		a.Error = "invalid endpoint url"
		return a
	case u.Scheme != "https" && !d.o.AllowInsecure:
		a.Error = "https required: http:// endpoints are sent only with insecure webhooks allowed"
		return a
	}
	body := c.WebhookBody()
	ctx, cancel := context.WithTimeout(ctx, d.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Endpoint.URL, bytes.NewReader(body))
	if err != nil {
		a.Error = "invalid endpoint url"
		return a
	}
	id, ts := c.MessageID(), now.Unix()
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", saldo.SignWebhook(c.Endpoint.SigningSecrets(now), id, ts, body))
	req.Header.Set("content-type", "application/json")
	req.Header.Set("user-agent", "saldo-webhooks/1")
	d.stats.attempts.Add(1)
	resp, err := d.client.Do(req)
	if err != nil {
		a.Error = describe(err, d.o.Timeout)
		return a
	}
	defer resp.Body.Close()
	a.StatusCode = resp.StatusCode
	answer, err := io.ReadAll(io.LimitReader(resp.Body, saldo.MaxWebhookResponse))
	a.Response = string(answer)
	if err == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // so the connection is reused
	}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		a.Error = fmt.Sprintf("answered %d: redirects are not followed; the endpoint must answer 2xx itself", resp.StatusCode)
	case resp.StatusCode == http.StatusGone:
		a.Error = "answered 410 Gone: the endpoint is disabled"
	default:
		a.Error = fmt.Sprintf("answered %d, not 2xx", resp.StatusCode)
	}
	return a
}

// describe is why an attempt got no answer, without the URL (its query may hold a partner's
// token) and in words a partner can act on.
func describe(err error, timeout time.Duration) string {
	switch {
	case errors.Is(err, ErrAddressNotAllowed):
		return "refused: the endpoint's address is loopback, private, link-local or metadata"
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return fmt.Sprintf("no answer within %v", timeout)
	}
	if ue, ok := errors.AsType[*url.Error](err); ok {
		err = ue.Err
	}
	return err.Error()
}

func isTimeout(err error) bool {
	ne, ok := errors.AsType[net.Error](err)
	return ok && ne.Timeout()
}
