package http_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/saldo-mx/saldo"
	saldohttp "github.com/saldo-mx/saldo/http"
	"github.com/saldo-mx/saldo/internal/testdb"
)

// edgeServer serves the harness' store as saldo serve does (its http.Server settings and
// listener, metrics on), without the OpenAPI check, and keeps the log.
func edgeServer(t *testing.T, h *harness) (*httptest.Server, *lockedBuffer) {
	t.Helper()
	logs := &lockedBuffer{}
	reg := prometheus.NewRegistry()
	api := saldohttp.NewServer(saldo.NewService(h.store, nil), slog.New(slog.NewJSONHandler(logs, nil)), saldohttp.WithMetrics(reg, reg))
	return serveLikeSaldo(t, api, nil), logs
}

// rawExchange sends req on a new connection and reads one answer, for a request of method.
func rawExchange(t *testing.T, addr, method, req string) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	// The server may answer and close before it has read the whole request (headers too
	// large): the answer is read all the same.
	go io.WriteString(conn, req)
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("no answer to %.80q: %v", req, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

// checkEnvelopeError checks an error answer: status, the envelope of path, a contract code and
// hint, an X-Request-Id, and no redirect.
func checkEnvelopeError(t *testing.T, resp *http.Response, body []byte, path string, status int, code float64, hint string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("status %d, want %d: %s", resp.StatusCode, status, body)
	}
	if resp.Header.Get("X-Request-Id") == "" || resp.Header.Get("Location") != "" || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v: want X-Request-Id, application/json and no Location", resp.Header)
	}
	a := answer{status: resp.StatusCode, header: resp.Header, raw: body}
	if err := json.Unmarshal(body, &a.body); err != nil {
		t.Fatalf("not JSON: %q", body)
	}
	e := contractErrorOf(t, a, path)
	if hints := fmt.Sprint(e["hints"]); e["code"] != code || !strings.Contains(hints, hint) {
		t.Errorf("error %v, want code %v with the hint %s", e, code, hint)
	}
}

// Paths that are not canonical are answered 404 in the envelope of their prefix, before any
// credential is checked, never redirected.
func TestUncleanPathsAreNotFoundInTheirEnvelope(t *testing.T) {
	h := newHarness(t, testdb.Engines()[0])
	srv, _ := edgeServer(t, h)
	addr := srv.Listener.Addr().String()
	for _, tt := range []struct{ method, path string }{
		{"GET", "/user/v1/account/1/../2"},
		{"GET", "//user/v1/account/1"},
		{"GET", "/user/v1/./account/1"},
		{"GET", "/wallet/v1/composite-balance/child/1/../2"},
		{"POST", "/wallet/v1/composite-balance//child"},
		{"POST", "/oauth/v1/x/../revoke"},
		{"GET", "/healthz/."},
		{"GET", "/%2E%2E/healthz"},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp, body := rawExchange(t, addr, tt.method, tt.method+" "+tt.path+" HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
			checkEnvelopeError(t, resp, body, tt.path, 404, 4404, "route:not_found")
		})
	}
}

// HEAD is answered wherever GET is: the GET's status and headers, without the body.
func TestHeadAnswersLikeGet(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		created := h.create(1).body["rs"].(map[string]any)
		account := fmt.Sprintf("/user/v1/account/%v", created["id"])
		srv, _ := edgeServer(t, h)
		addr := srv.Listener.Addr().String()
		for _, path := range []string{"/healthz", "/readyz", "/openapi.json", "/metrics", account, "/user/v1/account/999999"} {
			get := "GET " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization-ecommerce: " + h.composite + "\r\nConnection: close\r\n\r\n"
			wantResp, wantBody := rawExchange(t, addr, "GET", get)
			resp, body := rawExchange(t, addr, "HEAD", "HEAD"+strings.TrimPrefix(get, "GET"))
			if resp.StatusCode != wantResp.StatusCode || resp.Header.Get("Content-Type") != wantResp.Header.Get("Content-Type") ||
				resp.Header.Get("X-Request-Id") == "" || len(body) != 0 || len(wantBody) == 0 {
				t.Errorf("HEAD %s: %d %q with %d body bytes; GET: %d %q", path, resp.StatusCode, resp.Header.Get("Content-Type"), len(body),
					wantResp.StatusCode, wantResp.Header.Get("Content-Type"))
			}
		}
		resp, _ := rawExchange(t, addr, "HEAD", "HEAD /user/v1/account/create HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" {
			t.Errorf("HEAD on a POST route: %d Allow %q, want 405 Allow POST", resp.StatusCode, resp.Header.Get("Allow"))
		}
		resp, body := rawExchange(t, addr, "DELETE", "DELETE "+account+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD, PATCH" {
			t.Errorf("DELETE on a GET and PATCH route: %d Allow %q, want 405 Allow GET, HEAD, PATCH (%s)", resp.StatusCode, resp.Header.Get("Allow"), body)
		}
		resp, body = rawExchange(t, addr, "PATCH", "PATCH /user/v1/account/spei-clabe HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("PATCH on a GET route: %d Allow %q, want 405 Allow GET, HEAD (%s)", resp.StatusCode, resp.Header.Get("Allow"), body)
		}
		resp, body = rawExchange(t, addr, "HEAD", "HEAD "+account+"/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" {
			t.Errorf("HEAD on the status route: %d Allow %q, want 405 Allow POST (%s)", resp.StatusCode, resp.Header.Get("Allow"), body)
		}
	})
}

// OPTIONS * is the server's to answer, in style A.
func TestOptionsStarIsInTheEnvelope(t *testing.T) {
	h := newHarness(t, testdb.Engines()[0])
	srv, _ := edgeServer(t, h)
	resp, body := rawExchange(t, srv.Listener.Addr().String(), "OPTIONS", "OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != `{"rs":{},"err":null}` || resp.Header.Get("X-Request-Id") == "" {
		t.Errorf("OPTIONS *: %d %v %q, want 200 {\"rs\":{},\"err\":null} with X-Request-Id", resp.StatusCode, resp.Header, body)
	}
}

// Requests refused before any route: headers over saldo's limit (the middleware's 431), and
// what net/http refuses itself (headers past its own limit, malformed requests): each in the
// envelope of the path on its request line, with an X-Request-Id, logged and counted.
func TestRefusalsBeforeRoutingAreInTheEnvelope(t *testing.T) {
	h := newHarness(t, testdb.Engines()[0])
	srv, logs := edgeServer(t, h)
	addr := srv.Listener.Addr().String()
	request := func(method, target, headers string) string {
		return method + " " + target + " HTTP/1.1\r\nHost: x\r\n" + headers + "Content-Length: 0\r\nConnection: close\r\n\r\n"
	}
	padding := func(n int) string { return "X-Padding: " + strings.Repeat("p", n) + "\r\n" }
	for _, tt := range []struct {
		name, path, req string
		status          int
		hint            string
	}{
		{"headers over 64 KiB, user", "/user/v1/account/1", request("GET", "/user/v1/account/1", padding(saldohttp.MaxHeaderBytes)), 431, "headers:too_large"},
		{"headers over 64 KiB, wallet", "/wallet/v1/composite-balance/child", request("POST", "/wallet/v1/composite-balance/child", padding(saldohttp.MaxHeaderBytes)), 431, "headers:too_large"},
		{"headers past net/http's limit, oauth", "/oauth/v1/revoke", request("POST", "/oauth/v1/revoke", padding(1<<20)), 431, "headers:too_large"},
		{"headers past net/http's limit, wallet", "/wallet/v1/composite-balance/child/1", request("GET", "/wallet/v1/composite-balance/child/1", padding(200<<10)), 431, "headers:too_large"},
		{"a request line without a protocol", "/user/v1/account/1", "GET /user/v1/account/1\r\n\r\n", 400, "request:malformed"},
		{"a request line that is garbage", "/", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400, "request:malformed"},
		{"no Host header", "/wallet/v1/composite-balance/parent/x", "GET /wallet/v1/composite-balance/parent/x HTTP/1.1\r\n\r\n", 400, "request:malformed"},
		{"a header without a colon", "/oauth/v1/introspect", request("POST", "/oauth/v1/introspect", "Broken header\r\n"), 400, "request:malformed"},
		{"an unsupported Transfer-Encoding", "/oauth/v1/revoke", "POST /oauth/v1/revoke HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, "transfer_encoding:unsupported"},
		{"an unsupported Expect", "/user/v1/account/create", request("POST", "/user/v1/account/create", "Expect: teapot\r\n"), 417, "expect:unsupported"},
		{"an unsupported protocol", "/healthz", "GET /healthz HTTP/3.0\r\nHost: x\r\n\r\n", 505, "protocol:unsupported"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := rawExchange(t, addr, "GET", tt.req)
			checkEnvelopeError(t, resp, body, tt.path, tt.status, 4400, tt.hint)
			if id := resp.Header.Get("X-Request-Id"); !strings.Contains(logs.String(), `"request_id":"`+id+`"`) {
				t.Errorf("no log line with the request id %s", id)
			}
		})
	}
	text := scrape(t, srv)
	for _, want := range []string{`saldo_http_requests_total{method="GET",route="unmatched",status="400"}`, `saldo_http_requests_total{method="POST",route="unmatched",status="501"}`} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
