package http_test

// The document as other tools read it: Redocly's and Spectral's linters find nothing in it,
// and oapi-codegen makes a Go client of it that compiles and works against a real server.
//
// The node tools are the npm packages of tools/openapi (npm ci there). Without node or them
// their checks skip, and with SALDO_REQUIRE_NODE=1, as CI sets it, they fail instead. -short
// skips all of these checks.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/saldo-mx/saldo/internal/testdb"
)

// openAPITools is tools/openapi: the pinned npm packages, the Go module pinning oapi-codegen,
// and the linters' configuration.
const openAPITools = "../tools/openapi"

// nodeRequired makes a missing node tool a failure rather than a skip.
var nodeRequired = os.Getenv("SALDO_REQUIRE_NODE") == "1"

// nodeTools returns the directory of the node tools' commands, or what keeps them from running.
func nodeTools() (string, error) {
	if _, err := exec.LookPath("node"); err != nil {
		return "", errors.New("node is not installed")
	}
	bin, err := filepath.Abs(filepath.Join(openAPITools, "node_modules", ".bin"))
	if err != nil {
		return "", err
	}
	for _, tool := range []string{"redocly", "spectral", "openapi-typescript", "tsc"} {
		if _, err := os.Stat(filepath.Join(bin, tool)); err != nil {
			return "", fmt.Errorf("%s is not installed: run npm ci in tools/openapi", tool)
		}
	}
	return bin, nil
}

// requireNodeTools returns the directory of the node tools' commands, or ends t: a skip, or a
// failure with SALDO_REQUIRE_NODE=1.
func requireNodeTools(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the node tools are not run")
	}
	bin, err := nodeTools()
	switch {
	case err != nil && nodeRequired:
		t.Fatalf("%v (SALDO_REQUIRE_NODE=1)", err)
	case err != nil:
		t.Skipf("%v; SALDO_REQUIRE_NODE=1 makes this a failure", err)
	}
	return bin
}

// runTool runs a command in dir, with env added to the environment, and returns its standard
// output; its error carries both outputs. The node tools are told to send nothing anywhere and
// not to look for updates.
func runTool(dir string, env []string, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true", "NO_COLOR=1", "GOWORK=off")
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("%s %s: %w\n%s\n%s", filepath.Base(name), strings.Join(args, " "), err, stdout.Bytes(), stderr.Bytes())
	}
	return stdout.Bytes(), nil
}

// Redocly's recommended rules and Spectral's spectral:oas find nothing: no error, no warning.
// tools/openapi's configuration says why a rule or a single finding is left out.
func TestOpenAPILintersFindNothing(t *testing.T) {
	bin := requireNodeTools(t)
	t.Parallel()
	t.Run("redocly", func(t *testing.T) {
		out, err := runTool(".", nil, filepath.Join(bin, "redocly"), "lint", "--config", filepath.Join(openAPITools, "redocly.yaml"), "--format=json", openAPIFile)
		var report struct {
			Totals   struct{ Errors, Warnings int }
			Problems []struct {
				RuleID, Severity, Message string
				Location                  []struct{ Pointer string }
			}
		}
		if jerr := json.Unmarshal(out, &report); jerr != nil {
			t.Fatalf("no report (%v): %v", jerr, err)
		}
		for _, p := range report.Problems {
			var where []string
			for _, l := range p.Location {
				where = append(where, l.Pointer)
			}
			t.Errorf("%s %s at %s: %s", p.Severity, p.RuleID, strings.Join(where, ", "), p.Message)
		}
		if len(report.Problems) == 0 && (report.Totals.Errors+report.Totals.Warnings > 0 || err != nil) {
			t.Errorf("%d errors and %d warnings: %v", report.Totals.Errors, report.Totals.Warnings, err)
		}
	})
	t.Run("spectral", func(t *testing.T) {
		out, err := runTool(".", nil, filepath.Join(bin, "spectral"), "lint", "--ruleset", filepath.Join(openAPITools, ".spectral.yaml"), "--format=json", "--fail-severity=hint", "--quiet", openAPIFile)
		var results []struct {
			Code, Message string
			Path          []any
			Severity      int
		}
		if jerr := json.Unmarshal(out, &results); jerr != nil {
			t.Fatalf("no report (%v): %v", jerr, err)
		}
		for _, r := range results {
			t.Errorf("%s (severity %d) at %v: %s", r.Code, r.Severity, r.Path, r.Message)
		}
		if err != nil && len(results) == 0 {
			t.Error(err)
		}
	})
}

// oapi-codegen, at the version tools/openapi/go.mod pins, generates a Go client of the
// document (its types and a method per operation) that compiles, passes go vet, and works:
// testdata/goclient creates a customer with it on a real server, reads it back and decodes
// two errors. The client is made in a temporary directory, not kept: the document is what is
// published, and the client is whatever the generator makes of it.
func TestOpenAPIGoClientWorks(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: oapi-codegen is not run")
	}
	t.Parallel()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	tools, err := filepath.Abs(openAPITools)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := filepath.Abs(openAPIFile)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := runTool(tools, nil, goCmd, "tool", "oapi-codegen", "-config", "oapi-codegen.yaml", "-o", filepath.Join(dir, "saldoapi.gen.go"), doc); err != nil {
		t.Fatal(err)
	}
	// The client's module has tools/openapi's requirements, which include the runtime package
	// the client imports.
	for from, to := range map[string]string{
		filepath.Join(tools, "go.mod"): "go.mod", filepath.Join(tools, "go.sum"): "go.sum",
		filepath.Join("testdata", "goclient", "saldoapi_test.go"): "saldoapi_test.go",
	} {
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, to), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := runTool(dir, nil, goCmd, "vet", "-mod=readonly", "./..."); err != nil {
		t.Fatalf("the generated client does not compile: %v", err)
	}
	h := newHarness(t, testdb.Engines()[0]) // its answers are checked against the document too
	env := []string{"SALDO_URL=" + h.srv.URL, "SALDO_TOKEN=" + h.plain}
	if _, err := runTool(dir, env, goCmd, "test", "-mod=readonly", "-count=1", "./..."); err != nil {
		t.Fatalf("the generated client fails against saldo: %v", err)
	}
}
