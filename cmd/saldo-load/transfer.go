package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/saldo-mx/saldo/client"
	"github.com/saldo-mx/saldo/internal/gen"
)

// The transfers scenario: wallet-to-wallet transfers (POST /wallet/v1/transfer) among
// --wallets customers that a set-up creates through the API and funds with top-ups
// (POST /wallet/v1/topUp). In the random mode each transfer's source and target are drawn at
// random among them; in the hot mode every transfer leaves the first wallet, the hot one, for
// a random other. The hot wallet is funded with --hot-fund, every other with --fund, so that
// one set-up serves both modes.

// Transfer modes.
const (
	modeRandom = "random"
	modeHot    = "hot"
)

// wallet is a set-up customer: what a transfer out of or into its wallet needs.
type wallet struct {
	CustomerID int64  `json:"customer_id"`
	WalletID   int64  `json:"wallet_id"`
	Token      string `json:"oauth_token"` // the customer's oauth token, for Authorization-customer
	Funded     int64  `json:"funded"`      // the top-up that funded it, in cents
}

// walletSet is the set-up's outcome, which --wallets-file keeps for later runs.
type walletSet struct {
	URL     string   `json:"url"`
	Prefix  string   `json:"prefix"`
	SeqEnd  uint64   `json:"seq_end"`
	Wallets []wallet `json:"wallets"`
}

// transferReport is a transfers run's outcome; --json prints it as is.
type transferReport struct {
	Scenario           string           `json:"scenario"` // "transfers"
	Mode               string           `json:"mode"`
	URL                string           `json:"url"`
	Wallets            int              `json:"wallets"`
	Amount             int64            `json:"amount"`
	SeqEnd             uint64           `json:"seq_end"` // one past the last customer sequence number the set-up used
	Setup              *setupReport     `json:"setup,omitempty"`
	Concurrency        int              `json:"concurrency"`
	Sent               int64            `json:"sent"`
	OK                 int64            `json:"ok"`
	Errors             int64            `json:"errors"`
	ElapsedSeconds     float64          `json:"elapsed_s"`
	TransfersPerSecond float64          `json:"transfers_per_s"` // successful transfers per second of wall time
	Latency            latencyReport    `json:"latency_ms"`
	ErrorsBy           map[string]int64 `json:"errors_by"`
	HotBalanceAfter    int64            `json:"hot_balance_after,omitempty"` // the hot wallet's amount after the run, as its answers said (-1: none)
	Interrupted        bool             `json:"interrupted"`
}

// setupReport is what the set-up did, when this run did it.
type setupReport struct {
	Created        int     `json:"created"`
	ToppedUp       int     `json:"topped_up"`
	ElapsedSeconds float64 `json:"elapsed_s"`
	SetupOnly      bool    `json:"setup_only"`
}

// transferLoader is one run of the transfers scenario.
type transferLoader struct {
	*loader
	set walletSet
	// Per wallet, made once: the Authorization-customer header value as a one-element slice.
	tokens [][]string
	// In the hot mode, the body of a transfer from the hot wallet to wallet i (i ≥ 1).
	hotBodies [][]byte
	hotAfter  atomic.Int64
}

func (l *loader) runTransfers(ctx context.Context) (*transferReport, error) {
	defer l.transport.CloseIdleConnections()
	tl := &transferLoader{loader: l}
	var setup *setupReport
	loaded, err := loadSet(l.cfg.walletsFile, l.cfg.setupOnly, &tl.set)
	if err != nil {
		return nil, err
	}
	if !loaded {
		if setup, err = tl.setUp(ctx); err != nil {
			return nil, err
		}
		if l.cfg.walletsFile != "" {
			if err := saveSet(l.cfg.walletsFile, &tl.set); err != nil {
				return nil, err
			}
		}
	}
	rep := &transferReport{Scenario: "transfers", Mode: l.cfg.mode, URL: l.cfg.url, Wallets: len(tl.set.Wallets),
		Amount: l.cfg.amount, SeqEnd: tl.set.SeqEnd, Setup: setup, Concurrency: l.cfg.concurrency, ErrorsBy: map[string]int64{}}
	if setup != nil && setup.SetupOnly {
		rep.Interrupted = ctx.Err() != nil
		return rep, nil
	}
	if len(tl.set.Wallets) < 2 {
		return nil, fmt.Errorf("transfers need at least 2 wallets, have %d", len(tl.set.Wallets))
	}
	tl.prepare()
	tl.hotAfter.Store(-1)

	stats, elapsed, err := l.runWorkers(ctx, tl.worker)
	if err != nil {
		return nil, err
	}
	rep.Sent = l.next.Load()
	rep.ElapsedSeconds = elapsed.Seconds()
	var all []time.Duration
	all, rep.Latency, rep.ErrorsBy, rep.Errors = summarize(stats)
	rep.OK = int64(len(all)) - rep.Errors
	if elapsed > 0 {
		rep.TransfersPerSecond = float64(rep.OK) / elapsed.Seconds()
	}
	if l.cfg.mode == modeHot {
		rep.HotBalanceAfter = tl.hotAfter.Load()
	}
	rep.Interrupted = ctx.Err() != nil
	return rep, nil
}

// createdWallet is the part of the create's answer the set-up reads.
type createdWallet struct {
	ID         int64  `json:"id"`
	EwalletID  int64  `json:"ewallet_id"`
	OAuthToken string `json:"oauth_token"`
}

// setUp creates --wallets customers and funds each wallet with a top-up, concurrency at a
// time; any failure ends the run.
func (tl *transferLoader) setUp(ctx context.Context) (*setupReport, error) {
	cfg := tl.cfg
	n := cfg.wallets
	started := time.Now()
	tl.set = walletSet{URL: cfg.url, Prefix: cfg.prefix, SeqEnd: (cfg.seqOffset + uint64(n)) % seqSpace, Wallets: make([]wallet, n)}
	err := tl.each(ctx, n, func(ctx context.Context, i int, buf []byte) ([]byte, error) {
		seq := (cfg.seqOffset + uint64(i)) % seqSpace
		r := gen.Customer(cfg.prefix, seq)
		buf = appendCreateBody(buf[:0], &r, cfg.composite, cfg.creditLine)
		acct, err := client.CreateAccountJSONAs[createdWallet](ctx, tl.api, buf)
		if err != nil {
			return buf, fmt.Errorf("creating customer %d of the set-up: %w", i, err)
		}
		if acct.ID <= 0 || acct.EwalletID <= 0 || acct.OAuthToken == "" {
			return buf, fmt.Errorf("creating customer %d of the set-up: the answer lacks the id, ewallet_id or oauth_token", i)
		}
		tl.set.Wallets[i] = wallet{CustomerID: acct.ID, WalletID: acct.EwalletID, Token: acct.OAuthToken}
		return buf, nil
	})
	if err != nil {
		return nil, err
	}
	err = tl.each(ctx, n, func(ctx context.Context, i int, buf []byte) ([]byte, error) {
		w := &tl.set.Wallets[i]
		fund := cfg.fund
		if i == 0 {
			fund = cfg.hotFund
		}
		buf = appendTopUpBody(buf[:0], cfg.prefix+"fund"+strconv.Itoa(i), w.WalletID, fund, w.CustomerID)
		status, body, err := tl.post(ctx, "/wallet/v1/topUp", buf, nil)
		if err != nil {
			return buf, fmt.Errorf("funding wallet %d: %s", w.WalletID, transportProblem(err))
		}
		if problem := walletProblem(status, body); problem != "" {
			return buf, fmt.Errorf("funding wallet %d with %d cents: %s", w.WalletID, fund, problem)
		}
		w.Funded = fund
		return buf, nil
	})
	if err != nil {
		return nil, err
	}
	return &setupReport{Created: n, ToppedUp: n, ElapsedSeconds: time.Since(started).Seconds(), SetupOnly: cfg.setupOnly}, nil
}

// each runs fn for 0 ≤ i < n, concurrency at a time, and returns the first error.
func (l *loader) each(ctx context.Context, n int, fn func(ctx context.Context, i int, buf []byte) ([]byte, error)) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(l.cfg.concurrency, n) {
		wg.Go(func() {
			var buf []byte
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				var err error
				if buf, err = fn(ctx, i, buf); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return context.Cause(ctx)
}

// prepare makes what every transfer reuses: the customers' header values and, in the hot
// mode, every body.
func (tl *transferLoader) prepare() {
	tl.tokens = make([][]string, len(tl.set.Wallets))
	for i, w := range tl.set.Wallets {
		tl.tokens[i] = []string{w.Token}
	}
	if tl.cfg.mode == modeHot {
		hot := tl.set.Wallets[0]
		tl.hotBodies = make([][]byte, len(tl.set.Wallets))
		for i := 1; i < len(tl.set.Wallets); i++ {
			tl.hotBodies[i] = appendTransferBody(nil, tl.cfg.amount, hot.CustomerID, tl.set.Wallets[i].CustomerID)
		}
	}
}

// worker sends transfers until stop, ctx's end or the count; at a 401 it halts the whole run.
func (tl *transferLoader) worker(ctx context.Context, halt context.CancelCauseFunc, stop <-chan struct{}, rng *rand.Rand, ws *workerStats) {
	n := len(tl.set.Wallets)
	hot := tl.cfg.mode == modeHot
	var buf []byte
	var answer transferAnswer
	for {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		default:
		}
		i := tl.next.Add(1) - 1
		if tl.cfg.count > 0 && i >= tl.cfg.count {
			tl.next.Add(-1)
			return
		}
		var src, dst int
		var body []byte
		if hot {
			dst = 1 + rng.IntN(n-1)
			body = tl.hotBodies[dst]
		} else {
			src, dst = rng.IntN(n), rng.IntN(n-1)
			if dst >= src {
				dst++
			}
			buf = appendTransferBody(buf[:0], tl.cfg.amount, tl.set.Wallets[src].CustomerID, tl.set.Wallets[dst].CustomerID)
			body = buf
		}

		started := time.Now()
		status, resp, err := tl.post(ctx, "/wallet/v1/transfer", body, tl.tokens[src])
		ws.latencies = append(ws.latencies, time.Since(started))

		var problem string
		switch {
		case err != nil:
			problem = transportProblem(err)
		default:
			problem = walletProblem(status, resp)
			if problem == "" {
				answer = transferAnswer{}
				switch err := json.Unmarshal(resp, &answer); {
				case err != nil:
					problem = "200/unparseable_body"
				case answer.Payload.TransactionID <= 0 || answer.Payload.Balance.ID != tl.set.Wallets[src].WalletID:
					problem = "200/unexpected_transfer"
				case hot:
					// Only transfers out of it change the hot wallet: the lowest is the last.
					for a := answer.Payload.Balance.Amount; ; {
						old := tl.hotAfter.Load()
						if old >= 0 && old <= a || tl.hotAfter.CompareAndSwap(old, a) {
							break
						}
					}
				}
			}
		}
		if status == http.StatusUnauthorized {
			halt(&refusedTokenError{problem: problem})
			return
		}
		if problem != "" {
			ws.errors[problem]++
			tl.failed.Add(1)
		}
		tl.done.Add(1)
	}
}

// transferAnswer is the part of a transfer's answer the generator checks: a transaction, and
// the source's balance after it.
type transferAnswer struct {
	Payload struct {
		TransactionID int64 `json:"transactionId"`
		Balance       struct {
			ID     int64 `json:"id"`
			Amount int64 `json:"amount"`
		} `json:"balance"`
	} `json:"payload"`
}

// walletError is a wallet envelope's error, as far as the generator names it.
type walletError struct {
	Text  string `json:"text"`
	Error struct {
		Code  int      `json:"code"`
		Hints []string `json:"hints"`
	} `json:"error"`
}

// walletProblem names a wallet-envelope answer that is not a success, like envelopeProblem
// ("409/5003 amount:insufficient_funds"), or returns "" for a success.
func walletProblem(status int, body []byte) string {
	if status == http.StatusOK {
		return ""
	}
	var e walletError
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Code == 0 {
		return strconv.Itoa(status) + "/unparseable_body"
	}
	return envelopeProblem(&client.Error{StatusCode: status, Code: e.Error.Code, Hints: e.Error.Hints})
}

// post sends a wallet request with the partner's token and, when customer is set, the
// customer's (Authorization-customer), and returns the answer's status and body.
func (l *loader) post(ctx context.Context, path string, body []byte, customer []string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.cfg.url+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	h := http.Header{
		"Content-Type":            contentJSON,
		"User-Agent":              userAgent,
		"Authorization-Ecommerce": l.partnerHeader,
	}
	if customer != nil {
		h["Authorization-Customer"] = customer
	}
	req.Header = h
	res, err := l.httpClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, nil, err
	}
	return res.StatusCode, b, nil
}

var (
	contentJSON = []string{"application/json"}
	userAgent   = []string{"saldo-load"}
)

// appendTransferBody appends a transfer request's JSON.
func appendTransferBody(b []byte, amount, source, target int64) []byte {
	b = append(b, `{"amount":`...)
	b = strconv.AppendInt(b, amount, 10)
	b = append(b, `,"sourceCustomerID":`...)
	b = strconv.AppendInt(b, source, 10)
	b = append(b, `,"targetID":`...)
	b = strconv.AppendInt(b, target, 10)
	return append(b, `,"description":"saldo-load transfer"}`...)
}

// appendTopUpBody appends a top-up request's JSON.
func appendTopUpBody(b []byte, externalID string, walletID, amount, customerID int64) []byte {
	b = append(b, `{"externalTransactionId":`...)
	b = appendJSONString(b, externalID)
	b = append(b, `,"balanceId":`...)
	b = strconv.AppendInt(b, walletID, 10)
	b = append(b, `,"amount":`...)
	b = strconv.AppendInt(b, amount, 10)
	b = append(b, `,"sourceCustomerID":`...)
	b = strconv.AppendInt(b, customerID, 10)
	return append(b, `,"transactionType":1}`...)
}

// failure is the error that makes the command exit non-zero, or nil when all went well.
func (r *transferReport) failure() error {
	return runFailure("transfers", r.Errors, r.Sent, r.Interrupted)
}

func (r *transferReport) writeJSON(w io.Writer) error {
	return json.NewEncoder(w).Encode(r)
}

func (r *transferReport) writeText(w io.Writer) error {
	var b bytes.Buffer
	if s := r.Setup; s != nil {
		fmt.Fprintf(&b, "saldo-load: set up %d wallets (created and topped up) in %.2fs\n", s.Created, s.ElapsedSeconds)
		if s.SetupOnly {
			_, err := w.Write(b.Bytes())
			return err
		}
	}
	fmt.Fprintf(&b, "saldo-load: %d transfers sent in %.2fs at concurrency %d, %s mode, %d wallets, %d cents each\n",
		r.Sent, r.ElapsedSeconds, r.Concurrency, r.Mode, r.Wallets, r.Amount)
	writeOutcome(&b, r.OK, "transfers/s", r.TransfersPerSecond, r.Latency, r.Errors, r.ErrorsBy)
	if r.Mode == modeHot {
		fmt.Fprintf(&b, "  hot wallet  %d cents left\n", r.HotBalanceAfter)
	}
	if r.Interrupted {
		b.WriteString("  interrupted\n")
	}
	_, err := w.Write(b.Bytes())
	return err
}
