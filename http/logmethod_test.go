package http_test

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/saldo-mx/saldo/internal/testdb"
)

// A method is a client's free token: the log line names a standard one, and any other as
// "other", so a 10,000-character method makes no 10 KB line.
func TestTheLogLineNamesNoClientMadeMethod(t *testing.T) {
	var logs lockedBuffer
	srv := harnessOn(t, testdb.OpenSQLite(t), serving{log: slog.New(slog.NewJSONHandler(&logs, nil))}).srv
	for _, method := range []string{strings.Repeat("X", 10_000), http.MethodGet} {
		req, err := http.NewRequest(method, srv.URL+"/healthz", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 || len(lines[0]) > 1000 || !strings.Contains(lines[0], `"method":"other"`) || !strings.Contains(lines[1], `"method":"GET"`) {
		t.Errorf("log lines %.300q, want one of under 1 KB with method other, then one with GET", lines)
	}
}
