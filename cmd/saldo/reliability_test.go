package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/saldo-mx/saldo/internal/gen"
	"github.com/saldo-mx/saldo/internal/testdb"
)

// relAttempt is one create a worker sent and what came of it.
type relAttempt struct {
	seq        uint64
	email      string
	start, end time.Time
	err        error  // no answer
	status     int    // the answer's status, when there was one
	code       int    // err.code of the envelope, when present
	retryAfter string // the Retry-After header
	id         int64
	ewallet    int64
	parent     string
}

// acked is whether the server acknowledged the create: 200 with a customer id and a parent.
func (a relAttempt) acked() bool {
	return a.err == nil && a.status == http.StatusOK && a.id > 0 && a.parent != ""
}

type relAnswer struct {
	RS *struct {
		ID               int64  `json:"id"`
		Email            string `json:"email"`
		EwalletID        int64  `json:"ewallet_id"`
		CompositeBalance *struct {
			Parent struct {
				ID string `json:"id"`
			} `json:"parent"`
		} `json:"composite_balance"`
	} `json:"rs"`
	Err *struct {
		Code int `json:"code"`
	} `json:"err"`
}

func relClient() *http.Client {
	return &http.Client{
		Timeout: 20 * time.Second,
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConnsPerHost: 16,
			DisableCompression:  true,
		},
	}
}

// relCreate posts one valid create with a composite credit line and records the outcome.
func relCreate(client *http.Client, addr, token string, seq uint64) relAttempt {
	a := relAttempt{seq: seq, email: gen.Customer("e2e", seq).Email, start: time.Now()}
	defer func() { a.end = time.Now() }()
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/user/v1/account/create", strings.NewReader(customerJSON(seq, true)))
	req.Header.Set("Authorization-ecommerce", token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		a.err = err
		a.end = time.Now()
		return a
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	a.end = time.Now()
	if err != nil {
		// The status line came, the body did not: not an acknowledgement.
		a.err = fmt.Errorf("reading the body after status %d: %w", resp.StatusCode, err)
		return a
	}
	a.status = resp.StatusCode
	a.retryAfter = resp.Header.Get("Retry-After")
	var ans relAnswer
	if json.Unmarshal(body, &ans) != nil {
		return a
	}
	if ans.Err != nil {
		a.code = ans.Err.Code
	}
	if ans.RS != nil && ans.RS.Email == a.email {
		a.id, a.ewallet = ans.RS.ID, ans.RS.EwalletID
		if ans.RS.CompositeBalance != nil {
			a.parent = ans.RS.CompositeBalance.Parent.ID
		}
	}
	return a
}

// relGetStatus answers the status of a GET, or 0 when there was no answer.
func relGetStatus(client *http.Client, u string) int {
	resp, err := client.Get(u)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// relCreatePartner creates a partner with composite balances and returns its token.
func relCreatePartner(t *testing.T, env map[string]string) string {
	t.Helper()
	out, code := cli(t, env, "ecommerce", "create", "--name", "Reliability", "--composite-balances", "--max-credit-line", "50000000")
	if code != 0 {
		t.Fatalf("ecommerce create: exit %d", code)
	}
	var created struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil || !tokenRE.MatchString(created.Token) {
		t.Fatalf("ecommerce create printed %q (%v)", out, err)
	}
	return created.Token
}

// relCustomerRow is what the database holds about one customer and what hangs off it.
type relCustomerRow struct {
	id                                      int64
	email                                   string
	wallets, tokens, parents, parentsBacked int
	createdEvents, parentEvents             int
	walletID                                int64
	parentID                                string
}

func (r relCustomerRow) complete() bool {
	return r.wallets == 1 && r.tokens == 3 && r.parents == 1 && r.parentsBacked == 1 && r.createdEvents == 1 && r.parentEvents == 1
}

// relCustomers reads every customer of the schema behind dbURL with its wallet, tokens,
// composite parent and events.
func relCustomers(t *testing.T, dbURL string) map[string]relCustomerRow {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatalf("connect for the SQL checks: %v", err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, `
SELECT c.id, c.email,
  (SELECT count(*) FROM balances b WHERE b.customer_id = c.id AND b.kind = 'wallet'),
  (SELECT count(*) FROM customer_tokens k WHERE k.customer_id = c.id),
  (SELECT count(*) FROM composite_parents p WHERE p.customer_id = c.id),
  (SELECT count(*) FROM composite_parents p JOIN balances b ON b.id = p.balance_id
     WHERE p.customer_id = c.id AND b.customer_id = c.id AND b.kind = 'composite_parent'),
  (SELECT count(*) FROM events e WHERE e.type = 'customer.created' AND e.subject_id = c.id::text),
  (SELECT count(*) FROM events e JOIN composite_parents p ON e.subject_id = p.id
     WHERE e.type = 'composite_parent.created' AND p.customer_id = c.id),
  coalesce((SELECT min(b.id) FROM balances b WHERE b.customer_id = c.id AND b.kind = 'wallet'), 0),
  coalesce((SELECT min(p.id) FROM composite_parents p WHERE p.customer_id = c.id), '')
FROM customers c ORDER BY c.id`)
	if err != nil {
		t.Fatalf("SQL checks: %v", err)
	}
	defer rows.Close()
	out := map[string]relCustomerRow{}
	for rows.Next() {
		var r relCustomerRow
		if err := rows.Scan(&r.id, &r.email, &r.wallets, &r.tokens, &r.parents, &r.parentsBacked,
			&r.createdEvents, &r.parentEvents, &r.walletID, &r.parentID); err != nil {
			t.Fatalf("SQL checks: %v", err)
		}
		if _, dup := out[r.email]; dup {
			t.Errorf("two customers with the email %s", r.email)
		}
		out[r.email] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("SQL checks: %v", err)
	}
	return out
}

// relCheckAll checks that every acknowledged create reads back through the API and that every
// customer in the database, acknowledged or not, is complete and was sent by a worker. It
// returns how many committed without an acknowledgement.
func relCheckAll(t *testing.T, client *http.Client, addr, token, dbURL string, attempts []relAttempt) (committedUnacked int) {
	t.Helper()
	byEmail := map[string]relAttempt{}
	for _, a := range attempts {
		byEmail[a.email] = a
	}

	// Every acknowledged create reads back through the API, in a few concurrent readers.
	var acked []relAttempt
	for _, a := range attempts {
		if a.acked() {
			acked = append(acked, a)
		}
	}
	var (
		mu       sync.Mutex
		problems []string
		wg       sync.WaitGroup
		next     atomic.Int64
	)
	for range 4 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(acked) {
					return
				}
				a := acked[i]
				problem := relReadBack(client, addr, token, a)
				if problem != "" {
					mu.Lock()
					problems = append(problems, problem)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	for i, p := range problems {
		if i == 20 {
			t.Errorf("… and %d more acknowledged customers that do not read back", len(problems)-20)
			break
		}
		t.Error(p)
	}

	// The database: no half-made customer, nothing nobody sent, every acknowledged one there.
	rows := relCustomers(t, dbURL)
	complete := 0
	for email, r := range rows {
		if r.complete() {
			complete++
		} else {
			t.Errorf("half-made customer %d (%s): %d wallet balances, %d tokens, %d composite parents (%d with their balance), %d customer.created and %d composite_parent.created events",
				r.id, email, r.wallets, r.tokens, r.parents, r.parentsBacked, r.createdEvents, r.parentEvents)
		}
		a, sent := byEmail[email]
		switch {
		case !sent:
			t.Errorf("customer %d (%s) is in the database but no worker sent it", r.id, email)
		case a.acked():
			if r.id != a.id || r.walletID != a.ewallet || r.parentID != a.parent {
				t.Errorf("customer %s: database has id %d wallet %d parent %s; the create answered id %d wallet %d parent %s",
					email, r.id, r.walletID, r.parentID, a.id, a.ewallet, a.parent)
			}
		default:
			committedUnacked++
		}
	}
	lost := 0
	for _, a := range acked {
		if _, ok := rows[a.email]; !ok {
			lost++
			if lost <= 20 {
				t.Errorf("LOST: customer %d (%s) was acknowledged with 200 but is not in the database", a.id, a.email)
			}
		}
	}
	if want := len(acked) - lost + committedUnacked; len(rows) != want {
		t.Errorf("%d customers in the database, want %d acknowledged (%d lost) + %d committed without an acknowledgement",
			len(rows), len(acked), lost, committedUnacked)
	}
	t.Logf("sent %d creates: %d acknowledged, %d not acknowledged (%d of those committed anyway); %d customers in the database, %d complete; %d acknowledged missing",
		len(attempts), len(acked), len(attempts)-len(acked), committedUnacked, len(rows), complete, lost)
	return committedUnacked
}

// relReadBack reads one acknowledged customer with the partner token; "" when it matches.
func relReadBack(client *http.Client, addr, token string, a relAttempt) string {
	var last string
	for try := 0; try < 3; try++ {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/user/v1/account/"+strconv.FormatInt(a.id, 10), nil)
		req.Header.Set("Authorization-ecommerce", token)
		resp, err := client.Do(req)
		if err != nil {
			last = fmt.Sprintf("GET customer %d: %v", a.id, err)
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var ans relAnswer
		switch {
		case resp.StatusCode == http.StatusServiceUnavailable:
			last = fmt.Sprintf("GET customer %d: 503", a.id)
			time.Sleep(200 * time.Millisecond)
			continue
		case resp.StatusCode != http.StatusOK || json.Unmarshal(body, &ans) != nil || ans.RS == nil:
			return fmt.Sprintf("acknowledged customer %d (%s) does not read back: %d %s", a.id, a.email, resp.StatusCode, body)
		}
		var parent string
		if ans.RS.CompositeBalance != nil {
			parent = ans.RS.CompositeBalance.Parent.ID
		}
		if ans.RS.ID != a.id || ans.RS.Email != a.email || ans.RS.EwalletID != a.ewallet || a.ewallet <= 0 || parent != a.parent {
			return fmt.Sprintf("acknowledged customer %d reads back as id %d email %q ewallet %d parent %q; want %q ewallet %d parent %q",
				a.id, ans.RS.ID, ans.RS.Email, ans.RS.EwalletID, parent, a.email, a.ewallet, a.parent)
		}
		return ""
	}
	return last
}

// child is a saldo binary serving in a child process.
type child struct {
	cmd    *exec.Cmd
	addr   string
	stderr *syncBuffer
	exited chan struct{}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// startChild runs "bin serve" on a free port and waits until /readyz answers 200.
func startChild(t *testing.T, bin string, env map[string]string) *child {
	t.Helper()
	for try := 0; ; try++ {
		c, portTaken := tryStartChild(t, bin, env)
		if c != nil {
			return c
		}
		if !portTaken || try == 3 {
			t.Fatal("saldo serve did not start")
		}
	}
}

func tryStartChild(t *testing.T, bin string, env map[string]string) (c *child, portTaken bool) {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	c = &child{addr: freeAddr(t), stderr: &syncBuffer{}, exited: make(chan struct{})}
	c.cmd = exec.Command(bin, "serve", "--addr", c.addr)
	c.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "SALDO_LOG_LEVEL=warn"}
	for k, v := range env {
		c.cmd.Env = append(c.cmd.Env, k+"="+v)
	}
	c.cmd.Stdout = io.Discard
	c.cmd.Stderr = c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() { _ = c.cmd.Wait(); close(c.exited) }()
	t.Cleanup(func() { c.kill(t) })

	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-c.exited:
			// Someone may have taken the port between our check and the child's listen.
			if strings.Contains(c.stderr.String(), "address already in use") {
				return nil, true
			}
			t.Errorf("saldo serve exited before it was ready: %s", c.stderr)
			return nil, false
		default:
		}
		if relGetStatus(client, "http://"+c.addr+"/readyz") == http.StatusOK {
			return c, false
		}
		if time.Now().After(deadline) {
			t.Errorf("saldo serve not ready within 60s: %s", c.stderr)
			return nil, false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill sends SIGKILL and waits for the process to go.
func (c *child) kill(t *testing.T) {
	t.Helper()
	select {
	case <-c.exited:
		return
	default:
	}
	_ = c.cmd.Process.Kill()
	select {
	case <-c.exited:
	case <-time.After(30 * time.Second):
		t.Errorf("saldo serve pid %d did not die within 30s of SIGKILL", c.cmd.Process.Pid)
	}
}

// A SIGKILL in the middle of a load of creates loses no acknowledged customer and leaves no
// half-made one: each create is one transaction.
func TestSIGKILLMidLoadLosesNothingAcknowledged(t *testing.T) {
	dbURL := testdb.PostgresURL(t)
	env := map[string]string{"SALDO_DATABASE_URL": dbURL, "SALDO_SECRET_KEY": strings.Repeat("5a", 32)}

	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "saldo")
	buildCtx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	build := exec.CommandContext(buildCtx, "go", "build", "-o", bin, ".")
	build.Dir = wd
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	token := relCreatePartner(t, env)
	client := relClient()
	const rounds, workers = 3, 8
	var (
		seq      atomic.Uint64
		attempts []relAttempt
	)
	for round := 1; round <= rounds; round++ {
		c := startChild(t, bin, env)
		stop := make(chan struct{})
		results := make([][]relAttempt, workers)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					results[w] = append(results[w], relCreate(client, c.addr, token, seq.Add(1)))
				}
			})
		}
		// Kill once some creates have been acknowledged, 300–700 ms into the load.
		time.Sleep(time.Duration(300+rand.IntN(400)) * time.Millisecond)
		_ = c.cmd.Process.Kill() // SIGKILL
		close(stop)              // workers finish the request they are in, then stop
		c.kill(t)                // waits for the process to be gone
		wg.Wait()
		client.CloseIdleConnections()

		n, ok, refused := 0, 0, 0
		for _, rs := range results {
			for _, a := range rs {
				n++
				if a.acked() {
					ok++
				}
				if errors.Is(a.err, syscall.ECONNREFUSED) {
					refused++ // sent after the kill: never reached a server
				}
				if a.err == nil && a.status != http.StatusOK {
					t.Errorf("round %d: create %d answered %d (code %d) while the server was up; server log:\n%s", round, a.seq, a.status, a.code, c.stderr)
				}
				attempts = append(attempts, a)
			}
		}
		t.Logf("round %d: %d creates sent, %d acknowledged before SIGKILL, %d failed without an answer (in flight at the kill or just after), %d refused (sent after it)",
			round, n, ok, n-ok-refused, refused)
	}

	c := startChild(t, bin, env)
	relCheckAll(t, client, c.addr, token, dbURL, attempts)
	acked := 0
	for _, a := range attempts {
		if a.acked() {
			acked++
		}
	}
	if acked == 0 {
		t.Error("no create was acknowledged in any round: the test proved nothing")
	}
}

// pgProxy forwards TCP connections to PostgreSQL and can cut them all at once.
type pgProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func newPGProxy(t *testing.T, target string) *pgProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &pgProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Go(p.accept)
	t.Cleanup(p.close)
	return p
}

func (p *pgProxy) accept() {
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		cut := p.cut
		p.mu.Unlock()
		if cut {
			in.Close()
			continue
		}
		p.wg.Go(func() { p.forward(in) })
	}
}

func (p *pgProxy) forward(in net.Conn) {
	out, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		in.Close()
		return
	}
	p.mu.Lock()
	if p.cut { // cut while we dialled
		p.mu.Unlock()
		in.Close()
		out.Close()
		return
	}
	p.conns[in], p.conns[out] = struct{}{}, struct{}{}
	p.mu.Unlock()
	var done sync.WaitGroup
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		dst.Close()
		src.Close()
	}
	done.Go(func() { pipe(out, in) })
	done.Go(func() { pipe(in, out) })
	done.Wait()
	p.mu.Lock()
	delete(p.conns, in)
	delete(p.conns, out)
	p.mu.Unlock()
}

// setCut closes every open connection and refuses new ones (true), or lets them through again.
func (p *pgProxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for c := range p.conns {
			c.Close()
		}
	}
}

func (p *pgProxy) close() {
	p.ln.Close()
	p.setCut(true)
	p.wg.Wait()
}

// When PostgreSQL goes away, saldo answers 503 (code 7003, Retry-After), never 500, and says
// it is not ready; when it comes back, saldo serves again without a restart.
func TestDatabaseOutageIs503AndRecovers(t *testing.T) {
	dbURL := testdb.PostgresURL(t)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	target := u.Host
	if u.Port() == "" {
		target = net.JoinHostPort(u.Hostname(), "5432")
	}
	proxy := newPGProxy(t, target)
	pu := *u
	pu.Host = proxy.ln.Addr().String()
	env := map[string]string{"SALDO_DATABASE_URL": pu.String(), "SALDO_SECRET_KEY": strings.Repeat("6b", 32), "SALDO_LOG_LEVEL": "error"}

	token := relCreatePartner(t, env)
	r := start(t, env)
	client := relClient()
	readyURL := "http://" + r.addr + "/readyz"

	var (
		seq      atomic.Uint64
		mu       sync.Mutex
		attempts []relAttempt
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	record := func(a relAttempt) {
		mu.Lock()
		attempts = append(attempts, a)
		mu.Unlock()
	}
	snapshot := func() []relAttempt {
		mu.Lock()
		defer mu.Unlock()
		return append([]relAttempt(nil), attempts...)
	}
	ackedSince := func(since time.Time) int {
		n := 0
		for _, a := range snapshot() {
			if a.acked() && !a.start.Before(since) {
				n++
			}
		}
		return n
	}
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				a := relCreate(client, r.addr, token, seq.Add(1))
				record(a)
				if !a.acked() {
					time.Sleep(20 * time.Millisecond) // do not spin on failures
				}
			}
		})
	}
	stopWorkers := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopWorkers()

	waitFor := func(what string, within time.Duration, cond func() bool) bool {
		deadline := time.Now().Add(within)
		for !cond() {
			if time.Now().After(deadline) {
				t.Errorf("%s: not within %v", what, within)
				return false
			}
			time.Sleep(25 * time.Millisecond)
		}
		return true
	}
	begin := time.Now()
	if !waitFor("creates succeed before the outage", 30*time.Second, func() bool { return ackedSince(begin) >= 5 }) {
		t.Fatalf("server log: %s", r.stderr)
	}

	// The outage: about 2 s of PostgreSQL refusing every connection.
	cutAt := time.Now()
	proxy.setCut(true)
	var readyDuringCut []int
	for time.Since(cutAt) < 2*time.Second {
		readyDuringCut = append(readyDuringCut, relGetStatus(client, readyURL))
		time.Sleep(100 * time.Millisecond)
	}
	// Wait (bounded) for at least one create to have started and ended inside the cut.
	inCut := func() []relAttempt {
		var in []relAttempt
		for _, a := range snapshot() {
			if a.start.After(cutAt) {
				in = append(in, a)
			}
		}
		return in
	}
	waitFor("a create answered during the outage", 20*time.Second, func() bool { return len(inCut()) > 0 })
	restoreAt := time.Now()
	proxy.setCut(false)

	for i, s := range readyDuringCut {
		if s != http.StatusServiceUnavailable {
			t.Errorf("GET /readyz #%d during the outage: %d, want 503", i+1, s)
		}
	}

	// Recovery without a restart.
	recovered := waitFor("a create succeeds after PostgreSQL is back", 30*time.Second, func() bool { return ackedSince(restoreAt) >= 1 })
	if recovered {
		t.Logf("first create after the restore acknowledged within %v", firstAckAfter(snapshot(), restoreAt))
	}
	waitFor("/readyz is 200 after PostgreSQL is back", 30*time.Second, func() bool { return relGetStatus(client, readyURL) == http.StatusOK })
	more := time.Now()
	waitFor("creates keep succeeding", 30*time.Second, func() bool { return ackedSince(more) >= 3 })
	stopWorkers()

	// Every answer: 200, or 503 with 7003 and Retry-After; never 500. Inside the cut: 503.
	all := snapshot()
	var during, during503, noAnswer int
	for _, a := range all {
		inside := a.start.After(cutAt) && a.end.Before(restoreAt)
		if inside {
			during++
		}
		if a.err != nil {
			noAnswer++
			t.Errorf("create %d (started %v after the cut) got no answer: %v", a.seq, a.start.Sub(cutAt).Round(time.Millisecond), a.err)
			continue
		}
		switch {
		case a.status == http.StatusOK && !inside:
		case a.status == http.StatusServiceUnavailable && a.code == 7003 && a.retryAfter != "":
			if inside {
				during503++
			}
		default:
			t.Errorf("create %d (started %+v after the cut, ended %+v after it, restore at %+v) answered %d code %d Retry-After %q; want 503 with code 7003 and Retry-After",
				a.seq, a.start.Sub(cutAt).Round(time.Millisecond), a.end.Sub(cutAt).Round(time.Millisecond),
				restoreAt.Sub(cutAt).Round(time.Millisecond), a.status, a.code, a.retryAfter)
		}
	}
	t.Logf("outage of %v: %d creates answered inside it (%d of them 503/7003 with Retry-After), %d /readyz probes during it; %d creates in all, %d without an answer",
		restoreAt.Sub(cutAt).Round(time.Millisecond), during, during503, len(readyDuringCut), len(all), noAnswer)

	relCheckAll(t, client, r.addr, token, dbURL, all)
	if t.Failed() {
		t.Logf("server log:\n%s", tail(r.stderr.String(), 4000))
	}
}

func firstAckAfter(all []relAttempt, since time.Time) time.Duration {
	first := time.Duration(-1)
	for _, a := range all {
		if a.acked() && !a.start.Before(since) {
			if d := a.end.Sub(since); first < 0 || d < first {
				first = d
			}
		}
	}
	return first.Round(time.Millisecond)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if i := bytes.IndexByte([]byte(s[len(s)-n:]), '\n'); i >= 0 {
		return s[len(s)-n+i+1:]
	}
	return s[len(s)-n:]
}
