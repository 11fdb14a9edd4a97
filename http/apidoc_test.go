package http

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/saldo-mx/saldo"
)

// apiDocFile is the API reference written for people. These tests hold it to the OpenAPI
// document (what the end-to-end tests hold the server to), the route table and the error
// table, so that it cannot drift from them unnoticed.
const apiDocFile = "../docs/api.md"

// docSection is the text under one "## " or "### " heading of the reference, up to the next
// such heading; "#### " headings stay inside it.
type docSection struct {
	title  string
	line   int        // of the heading
	rows   [][]string // the cells of every table row, trimmed; separator rows left out
	blocks []docBlock // fenced code blocks
}

type docBlock struct {
	lang string
	line int // of the opening fence
	text string
}

// apiReference is the reference cut into sections: the route sections by "METHOD /path", the
// others by title.
type apiReference struct {
	routes   map[string]*docSection
	sections map[string]*docSection
	all      []*docSection
}

var (
	routeHeading  = regexp.MustCompile(`^### ([A-Z]+) (/\S*)$`)
	methodHeading = regexp.MustCompile(`^### (GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)\b`)
	tableRule     = regexp.MustCompile(`^\|[\s:|-]+\|$`)
	backticked    = regexp.MustCompile("`([^`]+)`")
)

func readAPIReference(t *testing.T) *apiReference {
	t.Helper()
	raw, err := os.ReadFile(apiDocFile)
	if err != nil {
		t.Fatal(err)
	}
	ref := &apiReference{routes: map[string]*docSection{}, sections: map[string]*docSection{}}
	var cur *docSection
	var block *docBlock
	for i, line := range strings.Split(string(raw), "\n") {
		n := i + 1
		if block != nil {
			if strings.HasPrefix(line, "```") {
				cur.blocks = append(cur.blocks, *block)
				block = nil
			} else {
				block.text += line + "\n"
			}
			continue
		}
		if lang, ok := strings.CutPrefix(line, "```"); ok {
			if cur == nil {
				t.Fatalf("%s:%d: a code block before the first heading", apiDocFile, n)
			}
			block = &docBlock{lang: strings.TrimSpace(lang), line: n}
			continue
		}
		if strings.HasPrefix(line, "# ") || strings.HasPrefix(line, "## ") || strings.HasPrefix(line, "### ") {
			cur = &docSection{title: strings.TrimSpace(strings.TrimLeft(line, "#")), line: n}
			ref.all = append(ref.all, cur)
			if m := routeHeading.FindStringSubmatch(line); m != nil {
				op := m[1] + " " + m[2]
				if ref.routes[op] != nil {
					t.Errorf("%s:%d: a second section for %s", apiDocFile, n, op)
				}
				ref.routes[op] = cur
			} else if methodHeading.MatchString(line) {
				t.Errorf("%s:%d: %q looks like a route but is not \"### METHOD /path\"", apiDocFile, n, line)
			} else {
				ref.sections[cur.title] = cur
			}
			continue
		}
		if cur != nil && strings.HasPrefix(line, "|") && !tableRule.MatchString(strings.TrimSpace(line)) {
			var cells []string
			for _, c := range strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|") {
				cells = append(cells, strings.TrimSpace(c))
			}
			cur.rows = append(cur.rows, cells)
		}
	}
	if block != nil {
		t.Fatalf("%s:%d: a code block that is never closed", apiDocFile, block.line)
	}
	return ref
}

// tableNames are the names in backticks in the first column of a section's tables. A dotted
// name (`composite_balance.parent.id`) names each of its parts.
func (s *docSection) tableNames() map[string]bool {
	names := map[string]bool{}
	for _, row := range s.rows {
		for _, m := range backticked.FindAllStringSubmatch(row[0], -1) {
			for part := range strings.SplitSeq(m[1], ".") {
				names[strings.TrimSuffix(part, "[]")] = true
			}
		}
	}
	return names
}

// errorRows are the rows of a section whose first cells are an HTTP status and a contract code.
func (s *docSection) errorRows() [][]string {
	var rows [][]string
	for _, row := range s.rows {
		if len(row) >= 2 && isDigits(row[0], 3) && isDigits(row[1], 4) {
			rows = append(rows, row)
		}
	}
	return rows
}

func isDigits(s string, n int) bool {
	_, err := strconv.Atoi(s)
	return len(s) == n && err == nil
}

func loadOpenAPIForReference(t *testing.T) *openapi3.T {
	t.Helper()
	spec, err := openapi3.NewLoader().LoadFromData(openAPIDocument)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// operations are the OpenAPI document's operations by "METHOD /path".
func operations(spec *openapi3.T) map[string]*openapi3.Operation {
	ops := map[string]*openapi3.Operation{}
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			ops[method+" "+path] = op
		}
	}
	return ops
}

// envelopeMembers are the members of the three envelopes, sorted: an answer whose top level
// has exactly one of these sets is enveloped, and its fields are those of its payload.
var envelopeMembers = [][]string{
	{"err", "rs"},
	{"endpoint", "error", "payload", "text", "timestamp"},
	{"err", "response"},
}

var payloadMembers = map[string]bool{"rs": true, "response": true, "payload": true}

// schemaNames adds to names every property name of a schema, at every depth: through
// references, allOf, oneOf and anyOf, array items and the schema of JSON held in a string.
func schemaNames(ref *openapi3.SchemaRef, names map[string]bool, seen map[*openapi3.Schema]bool) {
	if ref == nil || ref.Value == nil || seen[ref.Value] {
		return
	}
	s := ref.Value
	seen[s] = true
	for name, prop := range s.Properties {
		names[name] = true
		schemaNames(prop, names, seen)
	}
	for _, name := range s.Required {
		names[name] = true
	}
	for _, sub := range slices.Concat(s.AllOf, s.OneOf, s.AnyOf) {
		schemaNames(sub, names, seen)
	}
	schemaNames(s.Items, names, seen)
	schemaNames(s.ContentSchema, names, seen)
}

// answerNames are the field names of a success answer's schema: those of its payload when it
// is enveloped, and the envelope's members apart.
func answerNames(ref *openapi3.SchemaRef, fields, envelope map[string]bool) {
	if ref == nil || ref.Value == nil {
		return
	}
	top := slices.Sorted(maps.Keys(ref.Value.Properties))
	if !slices.ContainsFunc(envelopeMembers, func(m []string) bool { return slices.Equal(m, top) }) {
		schemaNames(ref, fields, map[*openapi3.Schema]bool{})
		return
	}
	for name, member := range ref.Value.Properties {
		envelope[name] = true
		if payloadMembers[name] {
			schemaNames(member, fields, map[*openapi3.Schema]bool{})
		}
	}
}

// operationNames are the names an operation's section must give in its tables: its
// parameters, the headers its credentials come in, its request fields in every content type
// and its success answer's fields. envelope collects the envelope members it answers in.
func operationNames(spec *openapi3.T, op *openapi3.Operation, envelope map[string]bool) map[string]string {
	names := map[string]string{}
	add := func(kind string, set map[string]bool) {
		for name := range set {
			if names[name] == "" {
				names[name] = kind
			}
		}
	}
	for _, p := range op.Parameters {
		names[p.Value.Name] = p.Value.In + " parameter"
	}
	if op.Security != nil {
		for _, req := range *op.Security {
			for scheme := range req {
				names[spec.Components.SecuritySchemes[scheme].Value.Name] = "credential header"
			}
		}
	}
	if op.RequestBody != nil {
		fields := map[string]bool{}
		for _, mt := range op.RequestBody.Value.Content {
			schemaNames(mt.Schema, fields, map[*openapi3.Schema]bool{})
		}
		add("request field", fields)
	}
	for status, resp := range op.Responses.Map() {
		if !strings.HasPrefix(status, "2") {
			continue
		}
		fields := map[string]bool{}
		for _, mt := range resp.Value.Content {
			answerNames(mt.Schema, fields, envelope)
		}
		add("answer field", fields)
	}
	return names
}

// wireError is an error as it is on the wire: status, code and text.
type wireError struct {
	status int
	code   int
	text   string
}

func (e wireError) String() string { return fmt.Sprintf("%d %d %s", e.status, e.code, e.text) }

// errorObjects adds every error object a schema can hold (an object whose code and text are
// constants) to codes, with status.
func errorObjects(ref *openapi3.SchemaRef, status int, codes map[wireError]bool, members map[string]bool, seen map[*openapi3.Schema]bool) {
	if ref == nil || ref.Value == nil || seen[ref.Value] {
		return
	}
	s := ref.Value
	seen[s] = true
	code, text := s.Properties["code"], s.Properties["text"]
	if code != nil && text != nil && code.Value.Const != nil && text.Value.Const != nil {
		n, _ := code.Value.Const.(float64)
		t, _ := text.Value.Const.(string)
		codes[wireError{status, int(n), t}] = true
		for name := range s.Properties {
			members[name] = true
		}
		return
	}
	for _, prop := range s.Properties {
		errorObjects(prop, status, codes, members, seen)
	}
	for _, sub := range slices.Concat(s.AllOf, s.OneOf, s.AnyOf) {
		errorObjects(sub, status, codes, members, seen)
	}
}

// responseErrors are the errors a response can carry with status.
func responseErrors(resp *openapi3.ResponseRef, status int, codes map[wireError]bool, members map[string]bool) {
	for _, mt := range resp.Value.Content {
		errorObjects(mt.Schema, status, codes, members, map[*openapi3.Schema]bool{})
	}
}

func operationErrors(op *openapi3.Operation, members map[string]bool) map[wireError]bool {
	codes := map[wireError]bool{}
	for status, resp := range op.Responses.Map() {
		if n, err := strconv.Atoi(status); err == nil && n >= 300 {
			responseErrors(resp, n, codes, members)
		}
	}
	return codes
}

func TestAPIReferenceHasASectionForEveryRouteAndNoOther(t *testing.T) {
	ref := readAPIReference(t)
	spec := loadOpenAPIForReference(t)
	reg := prometheus.NewRegistry()
	served := NewServer(saldo.NewService(nil, nil), slog.New(slog.NewTextHandler(io.Discard, nil)), WithMetrics(reg, reg)).Routes()
	documented := slices.Sorted(maps.Keys(ref.routes))
	described := slices.Sorted(maps.Keys(operations(spec)))
	for _, op := range described {
		if ref.routes[op] == nil {
			t.Errorf("%s: no \"### %s\" section for an operation of openapi.json", apiDocFile, op)
		}
	}
	for _, op := range documented {
		if !slices.Contains(described, op) {
			t.Errorf("%s:%d: \"### %s\" is no operation of openapi.json", apiDocFile, ref.routes[op].line, op)
		}
		if !slices.Contains(served, op) {
			t.Errorf("%s:%d: \"### %s\" is not in the route table", apiDocFile, ref.routes[op].line, op)
		}
	}
	for _, op := range served {
		if ref.routes[op] == nil {
			t.Errorf("%s: no \"### %s\" section for a route of the route table", apiDocFile, op)
		}
	}
	for _, title := range []string{"Conventions", "Headers", "Authentication", "Envelopes", "Error codes", "Idempotency", "Pagination"} {
		if ref.sections[title] == nil {
			t.Errorf("%s: no \"## %s\" section", apiDocFile, title)
		}
	}
}

// Every parameter, credential header, request field and answer field of an operation is in
// the first column of a table of its section, and nothing else is.
func TestAPIReferenceNamesEveryFieldOfEveryRoute(t *testing.T) {
	ref := readAPIReference(t)
	spec := loadOpenAPIForReference(t)
	envelope, errorMembers := map[string]bool{}, map[string]bool{}
	for name, op := range operations(spec) {
		operationErrors(op, errorMembers)
		section := ref.routes[name]
		if section == nil {
			continue // reported by TestAPIReferenceHasASectionForEveryRouteAndNoOther
		}
		want := operationNames(spec, op, envelope)
		have := section.tableNames()
		for _, field := range slices.Sorted(maps.Keys(want)) {
			if !have[field] {
				t.Errorf("%s:%d: %s: the %s `%s` is in no table of the section", apiDocFile, section.line, name, want[field], field)
			}
		}
		for _, field := range slices.Sorted(maps.Keys(have)) {
			if want[field] == "" && !slices.ContainsFunc(envelopeMembers, func(m []string) bool { return slices.Contains(m, field) }) {
				t.Errorf("%s:%d: %s: the section's tables name `%s`, which openapi.json does not give this operation", apiDocFile, section.line, name, field)
			}
		}
	}
	// The envelopes and the error object are described once, for every route.
	if section := ref.sections["Envelopes"]; section != nil {
		have := section.tableNames()
		maps.Copy(envelope, errorMembers)
		for _, member := range slices.Sorted(maps.Keys(envelope)) {
			if !have[member] {
				t.Errorf("%s:%d: Envelopes: `%s` is in no table of the section", apiDocFile, section.line, member)
			}
		}
	}
	// Every header of the document is in the Headers table.
	if section := ref.sections["Headers"]; section != nil {
		have := section.tableNames()
		headers := slices.Collect(maps.Keys(spec.Components.Headers))
		for _, p := range spec.Components.Parameters {
			if p.Value.In == "header" {
				headers = append(headers, p.Value.Name)
			}
		}
		for _, s := range spec.Components.SecuritySchemes {
			headers = append(headers, s.Value.Name)
		}
		for _, h := range headers {
			if !have[h] {
				t.Errorf("%s:%d: Headers: `%s` is in no row of the table", apiDocFile, section.line, h)
			}
		}
	}
}

// The reference's table of error codes has a row for every status, code and text the server
// can answer (its error table, and every error response of openapi.json), each with its code's
// sentence, and no row for an error the server never gives. Each route's section lists the
// statuses and codes that route can answer, and only those.
func TestAPIReferenceListsEveryErrorCode(t *testing.T) {
	ref := readAPIReference(t)
	spec := loadOpenAPIForReference(t)
	members := map[string]bool{}
	want := map[wireError]bool{}
	sentences := map[int]string{}
	for _, ce := range errorTable {
		want[wireError{ce.status, ce.code, ce.text}] = true
		sentences[ce.code] = ce.sentence
	}
	for name, op := range operations(spec) {
		codes := operationErrors(op, members)
		maps.Copy(want, codes)
		section := ref.routes[name]
		if section == nil {
			continue
		}
		listed := map[[2]int]bool{}
		for _, row := range section.errorRows() {
			status, _ := strconv.Atoi(row[0])
			code, _ := strconv.Atoi(row[1])
			listed[[2]int{status, code}] = true
		}
		documented := map[[2]int]bool{}
		for e := range codes {
			documented[[2]int{e.status, e.code}] = true
			if !listed[[2]int{e.status, e.code}] {
				t.Errorf("%s:%d: %s: no row for %d with code %d", apiDocFile, section.line, name, e.status, e.code)
			}
		}
		for pair := range listed {
			if !documented[pair] {
				t.Errorf("%s:%d: %s: a row for %d with code %d, which openapi.json does not give this operation", apiDocFile, section.line, name, pair[0], pair[1])
			}
		}
	}
	for name, resp := range spec.Components.Responses {
		switch {
		case strings.HasPrefix(name, "MethodNotAllowed"):
			responseErrors(resp, 405, want, members)
		case strings.HasPrefix(name, "RouteNotFound"):
			responseErrors(resp, 404, want, members)
		}
	}
	section := ref.sections["Error codes"]
	if section == nil {
		t.Fatalf("%s: no \"## Error codes\" section", apiDocFile)
	}
	have := map[wireError]bool{}
	for _, row := range section.errorRows() {
		status, _ := strconv.Atoi(row[0])
		code, _ := strconv.Atoi(row[1])
		e := wireError{status, code, row[2]}
		have[e] = true
		if !want[e] {
			t.Errorf("%s: Error codes: a row for %v, which the server never answers", apiDocFile, e)
		}
		if len(row) < 4 || row[3] != sentences[code] {
			t.Errorf("%s: Error codes: the first hint of %v is %q, not %q", apiDocFile, e, row[min(3, len(row)-1)], sentences[code])
		}
	}
	for _, e := range slices.SortedFunc(maps.Keys(want), func(a, b wireError) int { return strings.Compare(a.String(), b.String()) }) {
		if !have[e] {
			t.Errorf("%s: Error codes: no row | %d | %d | %s |", apiDocFile, e.status, e.code, e.text)
		}
	}
	if len(want) < len(errorTable) {
		t.Errorf("only %d errors found", len(want))
	}
}

var (
	curlPath   = regexp.MustCompile(`\$SALDO(/[^\s"'?]*)`)
	assignment = regexp.MustCompile(`(?m)^([A-Z_]+)=(\S+)`)
	shellVar   = regexp.MustCompile(`\$\{?([A-Z_]+)\}?`)
	quotedBody = regexp.MustCompile(`(?s)-d '(\{.*?\})'`)
)

// curlCommand is one curl command of an example, its continuation lines joined, with the
// here-document it reads, if any.
type curlCommand struct {
	line    string
	heredoc string
}

func curlCommands(block string) []curlCommand {
	var cmds []curlCommand
	lines := strings.Split(block, "\n")
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(strings.TrimSpace(lines[i]), "curl ") {
			continue
		}
		cmd := curlCommand{line: lines[i]}
		// A command goes on after a backslash, and while a single quote is open.
		for (strings.HasSuffix(strings.TrimSpace(cmd.line), `\`) || strings.Count(cmd.line, "'")%2 == 1) && i+1 < len(lines) {
			i++
			cmd.line = strings.TrimSuffix(strings.TrimSpace(cmd.line), `\`) + " " + strings.TrimSpace(lines[i])
		}
		if strings.Contains(cmd.line, "<<EOF") {
			for i++; i < len(lines) && lines[i] != "EOF"; i++ {
				cmd.heredoc += lines[i] + "\n"
			}
		}
		cmds = append(cmds, cmd)
	}
	return cmds
}

// pathPattern matches the paths of an OpenAPI path template.
func pathPattern(template string) *regexp.Regexp {
	return regexp.MustCompile("^" + pathWildcards.ReplaceAllString(regexp.QuoteMeta(template), `[^/]+`) + "$")
}

var pathWildcards = regexp.MustCompile(`\\\{[^}]+\\\}`)

func visit(ref *openapi3.SchemaRef, v any) error {
	return ref.Value.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.MultiErrors())
}

// Every JSON example of the reference parses. In a route's section, the first is an answer
// of that route with status 200 as openapi.json describes it, and the others are answers it
// describes with some status; every curl command calls that route with its method, and a JSON
// body it sends is a request openapi.json describes.
func TestAPIReferenceExamplesMatchTheirRoutes(t *testing.T) {
	ref := readAPIReference(t)
	spec := loadOpenAPIForReference(t)
	vars := map[string]string{}
	for _, s := range ref.all {
		for _, b := range s.blocks {
			if b.lang == "sh" {
				for _, m := range assignment.FindAllStringSubmatch(b.text, -1) {
					vars[m[1]] = m[2]
				}
			}
			if b.lang == "json" {
				var v any
				if err := json.Unmarshal([]byte(b.text), &v); err != nil {
					t.Errorf("%s:%d: a JSON example that does not parse: %v", apiDocFile, b.line, err)
				}
			}
		}
	}
	for name, op := range operations(spec) {
		section := ref.routes[name]
		if section == nil {
			continue
		}
		method, path, _ := strings.Cut(name, " ")
		checkAnswerExamples(t, section, name, op)
		calls := 0
		for _, b := range section.blocks {
			if b.lang != "sh" {
				continue
			}
			for _, cmd := range curlCommands(b.text) {
				calls++
				checkCurl(t, b, name, method, path, op, cmd, vars)
			}
		}
		if calls == 0 {
			t.Errorf("%s:%d: %s: no curl example", apiDocFile, section.line, name)
		}
	}
}

func checkAnswerExamples(t *testing.T, section *docSection, name string, op *openapi3.Operation) {
	t.Helper()
	var ok *openapi3.SchemaRef
	if resp := op.Responses.Status(200); resp != nil {
		if mt := resp.Value.Content.Get("application/json"); mt != nil {
			ok = mt.Schema
		}
	}
	first := true
	for _, b := range section.blocks {
		if b.lang != "json" {
			continue
		}
		var v any
		if json.Unmarshal([]byte(b.text), &v) != nil {
			continue // reported already
		}
		if first && ok != nil {
			if err := visit(ok, v); err != nil {
				t.Errorf("%s:%d: %s: the example answer is not a 200 answer of openapi.json: %v", apiDocFile, b.line, name, err)
			}
			first = false
			continue
		}
		first = false
		matches := false
		for _, resp := range op.Responses.Map() {
			if mt := resp.Value.Content.Get("application/json"); mt != nil && visit(mt.Schema, v) == nil {
				matches = true
				break
			}
		}
		if !matches {
			t.Errorf("%s:%d: %s: the example is no answer openapi.json describes for this route", apiDocFile, b.line, name)
		}
	}
	if first && ok != nil {
		t.Errorf("%s:%d: %s: no JSON example of the answer", apiDocFile, section.line, name)
	}
}

func checkCurl(t *testing.T, b docBlock, name, method, path string, op *openapi3.Operation, cmd curlCommand, vars map[string]string) {
	t.Helper()
	m := curlPath.FindStringSubmatch(cmd.line)
	if m == nil || !pathPattern(path).MatchString(m[1]) {
		t.Errorf("%s:%d: %s: a curl example that does not call %s: %s", apiDocFile, b.line, name, path, cmd.line)
		return
	}
	hasBody := strings.Contains(cmd.line, " -d ")
	explicit := strings.Contains(cmd.line, " -X "+method+" ")
	switch {
	case method == "GET" && (hasBody || strings.Contains(cmd.line, " -X ")),
		method == "POST" && !hasBody,
		method != "GET" && method != "POST" && !explicit:
		t.Errorf("%s:%d: %s: a curl example that does not send a %s: %s", apiDocFile, b.line, name, method, cmd.line)
	}
	if !strings.Contains(cmd.line, "Content-Type: application/json") || op.RequestBody == nil {
		return
	}
	body := cmd.heredoc
	if q := quotedBody.FindStringSubmatch(cmd.line); q != nil {
		body = q[1]
	} else {
		body = shellVar.ReplaceAllStringFunc(body, func(s string) string {
			v, ok := vars[shellVar.FindStringSubmatch(s)[1]]
			if !ok {
				t.Errorf("%s:%d: %s: the example's body uses %s, which no example sets", apiDocFile, b.line, name, s)
			}
			return v
		})
	}
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Errorf("%s:%d: %s: the example's JSON body does not parse: %v", apiDocFile, b.line, name, err)
		return
	}
	if err := visit(op.RequestBody.Value.Content.Get("application/json").Schema, v); err != nil {
		t.Errorf("%s:%d: %s: the example's body is not a request of openapi.json: %v", apiDocFile, b.line, name, err)
	}
}
