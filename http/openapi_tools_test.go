package http_test

// The document as other tools read it: Redocly's and Spectral's linters find nothing in it,
// oapi-codegen makes a Go client of it that compiles and works against a real server, and the
// TypeScript types openapi-typescript makes of it fit every JSON answer the suite got and
// every JSON request the server took (TestMain).
//
// The node tools are the npm packages of tools/openapi (npm ci there). Without node or them
// their checks skip, and with SALDO_REQUIRE_NODE=1, as CI sets it, they fail instead. -short
// skips all of these checks.

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

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

// typedBody is the JSON body of an answer or a request and the TypeScript type it must have.
type typedBody struct {
	label string // what it is: an answer's method, URI and status, or a request's method and URI
	typ   string // Op, Res or Req of bodies.ts
	body  string // compact JSON
	wrong string // for a wrong body, what is wrong: the type must reject it
}

// answerType is the TypeScript type of the JSON answer with status to a request routed as rt,
// or "" when the document gives it none.
func (d *apiDocument) answerType(r *http.Request, rt *apiRoute, status int) string {
	if rt.op != nil {
		resp := rt.op.Responses.Status(status)
		if rt.op.OperationID == "" || resp == nil || resp.Value.Content.Get("application/json") == nil {
			return ""
		}
		return fmt.Sprintf("Op<%q, %d>", rt.op.OperationID, status)
	}
	// What no operation answers is a component response of the path's style (fallbackOperation).
	var name string
	switch style := envelopeStyle(r.URL.Path); {
	case status == http.StatusRequestHeaderFieldsTooLarge:
		name = "HeadersTooLarge" + style
	case status == http.StatusRequestEntityTooLarge:
		name = style + "413"
	case rt.item == nil && status == http.StatusNotFound:
		name = "RouteNotFound" + style
	case rt.item != nil && status == http.StatusMethodNotAllowed:
		name = "MethodNotAllowed" + style
	}
	if resp := d.spec.Components.Responses[name]; resp == nil || resp.Value.Content.Get("application/json") == nil {
		return ""
	}
	return fmt.Sprintf("Res<%q>", name)
}

// requestType is the TypeScript type of r's body, or "" when it is not JSON (r has its
// Content-Type, as checkRequest sets it) or the operation takes none.
func requestType(r *http.Request, rt *apiRoute) string {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if rt.op == nil || rt.op.OperationID == "" || mt != "application/json" ||
		rt.op.RequestBody == nil || rt.op.RequestBody.Value.Content.Get("application/json") == nil {
		return ""
	}
	return fmt.Sprintf("Req<%q>", rt.op.OperationID)
}

func answerLabel(r *http.Request, status int) string {
	return fmt.Sprintf("%s %s → %d", r.Method, r.URL.RequestURI(), status)
}

func requestLabel(r *http.Request) string {
	return fmt.Sprintf("the request %s %s", r.Method, r.URL.RequestURI())
}

// recordTyped keeps a body for the TypeScript check, once however often it was seen.
func (d *apiDocument) recordTyped(label, typ string, body []byte, wrong string) {
	var compact bytes.Buffer
	if typ == "" || json.Compact(&compact, body) != nil {
		return
	}
	// The label goes in a // comment: nothing in it may end the line.
	label = strings.Map(func(c rune) rune {
		if unicode.IsControl(c) || c == '\u2028' || c == '\u2029' {
			return '?'
		}
		return c
	}, label)
	b := typedBody{label: label, typ: typ, body: compact.String(), wrong: wrong}
	d.mu.Lock()
	defer d.mu.Unlock()
	if key := b.typ + "\x00" + b.body + "\x00" + b.wrong; d.typed[key] == (typedBody{}) {
		d.typed[key] = b
	}
}

// expectTypeError adds a wrong answer to r that the TypeScript types must reject, because of
// what wrong says. It reports whether the document gives the answer a type at all.
func (d *apiDocument) expectTypeError(r *http.Request, status int, body []byte, wrong string) bool {
	typ := d.answerType(r, d.route(r), status)
	d.recordTyped(answerLabel(r, status), typ, body, wrong)
	return typ != ""
}

// expectRequestTypeError adds a wrong JSON request body that the TypeScript types must reject,
// because of what wrong says. It reports whether the document gives the body a type at all.
func (d *apiDocument) expectRequestTypeError(r *http.Request, body []byte, wrong string) bool {
	req := r.Clone(r.Context())
	if req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	typ := requestType(req, d.route(req))
	d.recordTyped(requestLabel(r), typ, body, wrong)
	return typ != ""
}

// bodiesPreamble opens bodies.ts: Op and Res name the type of a JSON answer, Req that of a
// JSON request body.
const bodiesPreamble = `// Every JSON answer the http tests got, and every JSON request they sent that the server
// took, each assigned to the type openapi-typescript made for it from openapi.json; and wrong
// bodies, each after a directive that tsc must find an error in it.
import type { components, operations } from "./openapi";

type JSONBody<R> = R extends { content: { "application/json": infer B } } ? B : never;
type Op<O extends keyof operations, S extends keyof operations[O]["responses"]> = JSONBody<operations[O]["responses"][S]>;
type Res<N extends keyof components["responses"]> = JSONBody<components["responses"][N]>;
type Req<O extends keyof operations> = JSONBody<NonNullable<operations[O]["requestBody"]>>;
`

var tscError = regexp.MustCompile(`^bodies\.ts\((\d+),\d+\): error (TS\d+: .*)$`)

// typeCheckBodies generates the TypeScript types of the document with openapi-typescript,
// assigns every recorded body to its type in bodies.ts and runs tsc on it. It returns a
// report, and false when tsc finds the types and the bodies at odds, or cannot run while
// SALDO_REQUIRE_NODE=1.
func (d *apiDocument) typeCheckBodies() (string, bool) {
	d.mu.Lock()
	bodies := slices.SortedFunc(maps.Values(d.typed), func(a, b typedBody) int {
		return cmp.Or(strings.Compare(a.wrong, b.wrong), strings.Compare(a.label, b.label), strings.Compare(a.typ, b.typ), strings.Compare(a.body, b.body))
	})
	d.mu.Unlock()
	var answers, requests, wrong int
	for _, b := range bodies {
		switch {
		case b.wrong != "":
			wrong++
		case strings.HasPrefix(b.typ, "Req<"):
			requests++
		default:
			answers++
		}
	}
	what := fmt.Sprintf("%s: the TypeScript check of %d answers, %d requests and %d wrong bodies", openAPIFile, answers, requests, wrong)
	if testing.Short() {
		return what + " is skipped: -short", true
	}
	bin, err := nodeTools()
	if err != nil {
		if nodeRequired {
			return fmt.Sprintf("%s cannot run: %v (SALDO_REQUIRE_NODE=1)", what, err), false
		}
		return fmt.Sprintf("%s is skipped: %v; SALDO_REQUIRE_NODE=1 makes this a failure", what, err), true
	}
	start := time.Now()
	doc, err := filepath.Abs(openAPIFile)
	if err != nil {
		return fmt.Sprintf("%s: %v", what, err), false
	}
	dir, err := os.MkdirTemp("", "saldo-openapi-ts-")
	if err != nil {
		return fmt.Sprintf("%s: %v", what, err), false
	}
	if _, err := runTool(dir, nil, filepath.Join(bin, "openapi-typescript"), doc, "--output", "openapi.d.ts"); err != nil {
		return fmt.Sprintf("%s: openapi-typescript fails (in %s): %v", what, dir, err), false
	}
	var ts strings.Builder
	ts.WriteString(bodiesPreamble)
	onLine := map[int]typedBody{} // bodies.ts line → the body on it, or on the next one
	line := strings.Count(bodiesPreamble, "\n")
	for i, b := range bodies {
		if b.wrong != "" {
			fmt.Fprintf(&ts, "\n// @ts-expect-error: %s (%s)\n", b.wrong, b.label)
		} else {
			fmt.Fprintf(&ts, "\n// %s\n", b.label)
		}
		fmt.Fprintf(&ts, "export const b%d: %s = %s;\n", i, b.typ, b.body)
		onLine[line+2], onLine[line+3] = b, b
		line += 3
	}
	if err := os.WriteFile(filepath.Join(dir, "bodies.ts"), []byte(ts.String()), 0o644); err != nil {
		return fmt.Sprintf("%s: %v", what, err), false
	}
	out, err := runTool(dir, nil, filepath.Join(bin, "tsc"), "--noEmit", "--strict", "--pretty", "false",
		"--target", "es2022", "--lib", "es2022", "--module", "esnext", "--moduleResolution", "bundler", "bodies.ts")
	if err == nil {
		os.RemoveAll(dir)
		return fmt.Sprintf("%s passed in %.1fs: each body is of the type openapi-typescript makes for it, and each wrong one is not",
			what, time.Since(start).Seconds()), true
	}
	// Each error with the body it is about; tsc's further lines of an error are indented.
	var report []string
	for l := range strings.Lines(string(out)) {
		l = strings.TrimRight(l, "\n")
		m := tscError.FindStringSubmatch(l)
		switch {
		case m != nil:
			n, _ := strconv.Atoi(m[1])
			b := onLine[n]
			what := cmp.Or(b.label, "bodies.ts:"+m[1]) + " as " + b.typ
			if b.wrong != "" {
				what = fmt.Sprintf("the wrong body %q (%s)", b.wrong, what)
			}
			body := b.body
			if len(body) > 600 {
				body = body[:600] + "…"
			}
			report = append(report, fmt.Sprintf("%s: %s\n    %s", what, m[2], body))
		case len(report) > 0 && len(report[len(report)-1]) < 4000:
			report[len(report)-1] += "\n  " + l
		}
	}
	problems := len(report)
	if problems == 0 {
		report = append(report, err.Error())
	}
	if problems > 30 {
		report = append(report[:30], fmt.Sprintf("… and %d more", problems-30))
	}
	return fmt.Sprintf("%s fails: tsc finds %d problems (bodies.ts and openapi.d.ts are kept in %s):\n%s",
		what, problems, dir, strings.Join(report, "\n")), false
}
