package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/saldo-mx/saldo/client"
	"github.com/saldo-mx/saldo/internal/gen"
)

// The charges scenario: charges on composite children (POST
// /wallet/v1/composite-balance/child/{child_id}/charge), posted at once (capture true), each
// with an externalTransactionId of its own. A set-up creates --children customers through
// the API, each with a composite parent of --credit-line, and gives each parent one child of
// --child-credit-line. In the random mode each charge goes to a child drawn at random; in
// the hot mode every charge goes to the first child, the hot one. The credit lines are meant
// to be large enough that no charge of a run is ever over the available credit.

// chargePath is the route of a charge on child id.
func chargePath(childID int64) string {
	return "/wallet/v1/composite-balance/child/" + strconv.FormatInt(childID, 10) + "/charge"
}

// child is a set-up composite child: what a charge on it needs.
type child struct {
	CustomerID int64  `json:"customer_id"`
	ParentID   string `json:"parent_id"`
	ChildID    int64  `json:"child_id"`
	CreditLine int64  `json:"credit_line"`
}

// childSet is the set-up's outcome, which --children-file keeps for later runs.
type childSet struct {
	URL      string  `json:"url"`
	Prefix   string  `json:"prefix"`
	SeqEnd   uint64  `json:"seq_end"`
	Children []child `json:"children"`
}

// chargeReport is a charges run's outcome; --json prints it as is.
type chargeReport struct {
	Scenario         string           `json:"scenario"` // "charges"
	Mode             string           `json:"mode"`
	URL              string           `json:"url"`
	Children         int              `json:"children"`
	Amount           int64            `json:"amount"`
	SeqEnd           uint64           `json:"seq_end"` // one past the last customer sequence number the set-up used
	Setup            *childSetup      `json:"setup,omitempty"`
	Concurrency      int              `json:"concurrency"`
	Sent             int64            `json:"sent"`
	OK               int64            `json:"ok"`
	Errors           int64            `json:"errors"`
	ElapsedSeconds   float64          `json:"elapsed_s"`
	ChargesPerSecond float64          `json:"charges_per_s"` // successful charges per second of wall time
	Latency          latencyReport    `json:"latency_ms"`
	ErrorsBy         map[string]int64 `json:"errors_by"`
	HotDebtAfter     int64            `json:"hot_debt_after,omitempty"` // the hot child's debt after the run, as its answers said (-1: none)
	Interrupted      bool             `json:"interrupted"`
}

// childSetup is what the set-up did, when this run did it.
type childSetup struct {
	Created        int     `json:"created"`  // customers, each with a composite parent
	Children       int     `json:"children"` // children, one per parent
	ElapsedSeconds float64 `json:"elapsed_s"`
	SetupOnly      bool    `json:"setup_only"`
}

// chargeLoader is one run of the charges scenario.
type chargeLoader struct {
	*loader
	set     childSet
	paths   []string // per child, its charge route
	hotDebt atomic.Int64
}

func (l *loader) runCharges(ctx context.Context) (*chargeReport, error) {
	defer l.transport.CloseIdleConnections()
	cl := &chargeLoader{loader: l}
	var setup *childSetup
	loaded, err := loadSet(l.cfg.childrenFile, l.cfg.setupOnly, &cl.set)
	if err != nil {
		return nil, err
	}
	if !loaded {
		if setup, err = cl.setUp(ctx); err != nil {
			return nil, err
		}
		if l.cfg.childrenFile != "" {
			if err := saveSet(l.cfg.childrenFile, &cl.set); err != nil {
				return nil, err
			}
		}
	}
	rep := &chargeReport{Scenario: "charges", Mode: l.cfg.mode, URL: l.cfg.url, Children: len(cl.set.Children),
		Amount: l.cfg.amount, SeqEnd: cl.set.SeqEnd, Setup: setup, Concurrency: l.cfg.concurrency, ErrorsBy: map[string]int64{}}
	if setup != nil && setup.SetupOnly {
		rep.Interrupted = ctx.Err() != nil
		return rep, nil
	}
	if len(cl.set.Children) < 1 {
		return nil, errors.New("charges need at least 1 child, have none")
	}
	cl.paths = make([]string, len(cl.set.Children))
	for i, c := range cl.set.Children {
		cl.paths[i] = chargePath(c.ChildID)
	}
	cl.hotDebt.Store(-1)

	stats, elapsed, err := l.runWorkers(ctx, cl.worker)
	if err != nil {
		return nil, err
	}
	rep.Sent = l.next.Load()
	rep.ElapsedSeconds = elapsed.Seconds()
	var all []time.Duration
	all, rep.Latency, rep.ErrorsBy, rep.Errors = summarize(stats)
	rep.OK = int64(len(all)) - rep.Errors
	if elapsed > 0 {
		rep.ChargesPerSecond = float64(rep.OK) / elapsed.Seconds()
	}
	if l.cfg.mode == modeHot {
		rep.HotDebtAfter = cl.hotDebt.Load()
	}
	rep.Interrupted = ctx.Err() != nil
	return rep, nil
}

// createdChild is the part of a child create's answer the set-up reads.
type createdChild struct {
	Payload struct {
		ID int64 `json:"id"`
	} `json:"payload"`
}

// setUp creates --children customers with composite parents and one child each, concurrency
// at a time; any failure ends the run.
func (cl *chargeLoader) setUp(ctx context.Context) (*childSetup, error) {
	cfg := cl.cfg
	n := cfg.children
	started := time.Now()
	cl.set = childSet{URL: cfg.url, Prefix: cfg.prefix, SeqEnd: (cfg.seqOffset + uint64(n)) % seqSpace, Children: make([]child, n)}
	err := cl.each(ctx, n, func(ctx context.Context, i int, buf []byte) ([]byte, error) {
		seq := (cfg.seqOffset + uint64(i)) % seqSpace
		r := gen.Customer(cfg.prefix, seq)
		buf = appendCreateBody(buf[:0], &r, true, cfg.creditLine)
		acct, err := client.CreateAccountJSONAs[createdAccount](ctx, cl.api, buf)
		if err != nil {
			return buf, fmt.Errorf("creating customer %d of the set-up: %w", i, err)
		}
		if acct.ID <= 0 || acct.CompositeBalance == nil || acct.CompositeBalance.Parent.ID == "" {
			return buf, fmt.Errorf("creating customer %d of the set-up: the answer lacks the id or the composite parent", i)
		}
		parent := acct.CompositeBalance.Parent.ID
		buf = appendChildBody(buf[:0], parent, cfg.childCreditLine)
		status, body, err := cl.post(ctx, "/wallet/v1/composite-balance/child", buf, nil)
		if err != nil {
			return buf, fmt.Errorf("creating the child of parent %s: %s", parent, transportProblem(err))
		}
		if problem := walletProblem(status, body); problem != "" {
			return buf, fmt.Errorf("creating the child of parent %s with a credit line of %d cents: %s", parent, cfg.childCreditLine, problem)
		}
		var answer createdChild
		if err := json.Unmarshal(body, &answer); err != nil || answer.Payload.ID <= 0 {
			return buf, fmt.Errorf("creating the child of parent %s: the answer lacks its id", parent)
		}
		cl.set.Children[i] = child{CustomerID: acct.ID, ParentID: parent, ChildID: answer.Payload.ID, CreditLine: cfg.childCreditLine}
		return buf, nil
	})
	if err != nil {
		return nil, err
	}
	return &childSetup{Created: n, Children: n, ElapsedSeconds: time.Since(started).Seconds(), SetupOnly: cfg.setupOnly}, nil
}

// worker sends charges until stop, ctx's end or the count; at a 401 it halts the whole run.
func (cl *chargeLoader) worker(ctx context.Context, halt context.CancelCauseFunc, stop <-chan struct{}, rng *rand.Rand, ws *workerStats) {
	n := len(cl.set.Children)
	hot := cl.cfg.mode == modeHot
	var buf []byte
	var answer chargeAnswer
	for {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		default:
		}
		i := cl.next.Add(1) - 1
		if cl.cfg.count > 0 && i >= cl.cfg.count {
			cl.next.Add(-1)
			return
		}
		target := 0
		if !hot {
			target = rng.IntN(n)
		}
		// The prefix keeps runs apart, the request's index charges of one run.
		buf = appendChargeBody(buf[:0], cl.cfg.amount, cl.cfg.prefix, i)

		started := time.Now()
		status, resp, err := cl.post(ctx, cl.paths[target], buf, nil)
		ws.latencies = append(ws.latencies, time.Since(started))

		var problem string
		switch {
		case err != nil:
			problem = transportProblem(err)
		default:
			problem = walletProblem(status, resp)
			if problem == "" {
				answer = chargeAnswer{}
				switch err := json.Unmarshal(resp, &answer); {
				case err != nil:
					problem = "200/unparseable_body"
				case answer.Payload.TransactionID <= 0:
					problem = "200/unexpected_charge"
				case hot:
					// Every charge adds to the hot child's debt: the highest is the last.
					for d := answer.Payload.Debt; ; {
						old := cl.hotDebt.Load()
						if old >= d || cl.hotDebt.CompareAndSwap(old, d) {
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
			cl.failed.Add(1)
		}
		cl.done.Add(1)
	}
}

// chargeAnswer is the part of a charge's answer the generator checks: a transaction, and the
// child's debt after it.
type chargeAnswer struct {
	Payload struct {
		TransactionID int64 `json:"transactionId"`
		Debt          int64 `json:"debt"`
	} `json:"payload"`
}

// appendChargeBody appends a charge request's JSON: amount as a JSON number (the route
// refuses a JSON string there, 400/4400 amount:must_be_integer), and the
// externalTransactionId prefix + "chg" + index.
func appendChargeBody(b []byte, amount int64, prefix string, index int64) []byte {
	b = append(b, `{"amount":`...)
	b = strconv.AppendInt(b, amount, 10)
	b = append(b, `,"externalTransactionId":"`...)
	// validPrefix keeps the prefix free of anything JSON would escape.
	b = append(b, prefix...)
	b = append(b, "chg"...)
	b = strconv.AppendInt(b, index, 10)
	return append(b, `","description":"bench","merchant":{"name":"bench","mcc":"5411"},"capture":true}`...)
}

// appendChildBody appends a child create's JSON.
func appendChildBody(b []byte, parentID string, creditLine int64) []byte {
	b = append(b, `{"parent_id":`...)
	b = appendJSONString(b, parentID)
	b = append(b, `,"credit_line":`...)
	b = strconv.AppendInt(b, creditLine, 10)
	return append(b, '}')
}

// failure is the error that makes the command exit non-zero, or nil when all went well.
func (r *chargeReport) failure() error { return runFailure("charges", r.Errors, r.Sent, r.Interrupted) }

func (r *chargeReport) writeJSON(w io.Writer) error {
	return json.NewEncoder(w).Encode(r)
}

func (r *chargeReport) writeText(w io.Writer) error {
	var b bytes.Buffer
	if s := r.Setup; s != nil {
		fmt.Fprintf(&b, "saldo-load: set up %d customers with a composite parent and a child each in %.2fs\n", s.Children, s.ElapsedSeconds)
		if s.SetupOnly {
			_, err := w.Write(b.Bytes())
			return err
		}
	}
	fmt.Fprintf(&b, "saldo-load: %d charges sent in %.2fs at concurrency %d, %s mode, %d children, %d cents each\n",
		r.Sent, r.ElapsedSeconds, r.Concurrency, r.Mode, r.Children, r.Amount)
	writeOutcome(&b, r.OK, "charges/s", r.ChargesPerSecond, r.Latency, r.Errors, r.ErrorsBy)
	if r.Mode == modeHot {
		fmt.Fprintf(&b, "  hot child   %d cents of debt\n", r.HotDebtAfter)
	}
	if r.Interrupted {
		b.WriteString("  interrupted\n")
	}
	_, err := w.Write(b.Bytes())
	return err
}

// maxChargePrefix leaves room in a 64-character externalTransactionId for "chg" and an index
// of up to 19 digits.
const maxChargePrefix = 64 - len("chg") - 19
