package postgres

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/saldo-mx/saldo"
)

// Every SQLSTATE saldo knows becomes its domain error; a server that refuses or ends
// connections is unavailable (503), never an internal error (500).
func TestTranslateBySQLState(t *testing.T) {
	for _, tt := range []struct {
		severity, code string
		want           saldo.Code // "" for saldo.ErrRetry, which the store runs again
	}{
		{"ERROR", "40001", ""}, // serialization_failure
		{"ERROR", "40P01", ""}, // deadlock_detected
		{"ERROR", "23505", saldo.ECONFLICT},
		{"ERROR", tokenChanged, saldo.EUNAUTHORIZED},
		{"ERROR", depositLimit, saldo.ELIMIT},
		{"FATAL", "08006", saldo.EUNAVAILABLE}, // connection_failure
		{"FATAL", "08P01", saldo.EUNAVAILABLE}, // protocol_violation
		{"FATAL", "57P01", saldo.EUNAVAILABLE}, // admin_shutdown: pg_terminate_backend, a fast shutdown
		{"FATAL", "57P02", saldo.EUNAVAILABLE}, // crash_shutdown: another backend crashed
		{"FATAL", "57P03", saldo.EUNAVAILABLE}, // cannot_connect_now: starting up, in recovery, shutting down
		{"FATAL", "53300", saldo.EUNAVAILABLE}, // too_many_connections: the server's, a role's or a database's limit
		{"FATAL", "55000", saldo.EUNAVAILABLE}, // the database is not currently accepting connections
		{"ERROR", "55000", saldo.EINTERNAL},    // within a session: about the statement
		{"ERROR", "53100", saldo.EUNAVAILABLE}, // disk_full
		{"ERROR", "53200", saldo.EUNAVAILABLE}, // out_of_memory
		{"ERROR", "53400", saldo.EUNAVAILABLE}, // configuration_limit_exceeded
		{"ERROR", "57014", saldo.EUNAVAILABLE}, // query_canceled: a statement_timeout
		{"ERROR", "55P03", saldo.EUNAVAILABLE}, // lock_not_available: a lock_timeout
		{"ERROR", "42P01", saldo.EINTERNAL},    // undefined_table
		{"ERROR", "22P02", saldo.EINTERNAL},    // invalid_text_representation
	} {
		t.Run(tt.severity+" "+tt.code, func(t *testing.T) {
			pgErr := &pgconn.PgError{Severity: tt.severity, SeverityUnlocalized: tt.severity, Code: tt.code, Message: "from the server"}
			for _, err := range []error{pgErr, fmt.Errorf("failed to connect: server error: %w", pgErr)} {
				got := translate(err)
				if tt.want == "" {
					if !errors.Is(got, saldo.ErrRetry) {
						t.Errorf("translate(%v) = %v, want saldo.ErrRetry", err, got)
					}
					continue
				}
				if code := saldo.ErrorCode(got); code != tt.want {
					t.Errorf("translate(%v) = %v (%s), want %s", err, got, code, tt.want)
				}
			}
		})
	}
}

// A lock that timed out behind another writer is contention, told apart from a server that
// cannot serve.
func TestLockTimeoutIsContention(t *testing.T) {
	got := translate(&pgconn.PgError{Severity: "ERROR", Code: "55P03"})
	if !slices.Contains(saldo.ErrorHints(got), saldo.HintContention) {
		t.Errorf("translate(55P03) = %v, want the hint %s", got, saldo.HintContention)
	}
	if got := translate(&pgconn.PgError{Severity: "ERROR", Code: "57014"}); slices.Contains(saldo.ErrorHints(got), saldo.HintContention) {
		t.Errorf("translate(57014) = %v: a statement timeout is no contention", got)
	}
}
