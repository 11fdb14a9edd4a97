package sqlstore

import (
	"slices"
	"testing"
)

// Rows held for several tables go as one statement whose placeholders run on from one table's
// rows to the next, with the arguments in the same order; each shape (the tables, their order,
// their row counts) is its own statement.
func TestTogetherNumbersEveryTablesRowsInTurn(t *testing.T) {
	// Ids past those of the package's inserts, so that these shapes are the test's own.
	a := &rowsInsert{id: 60001, head: "INSERT INTO a (x, y) VALUES ", cols: 2}
	b := &rowsInsert{id: 60002, head: "INSERT INTO b (p, q, r) VALUES ", cols: 3}
	c := &rowsInsert{id: 60003, head: "INSERT INTO c (z) VALUES ", cols: 1}
	tests := []struct {
		name     string
		held     []*heldRows
		sql      string
		wantArgs []any
	}{
		{
			name:     "two tables",
			held:     []*heldRows{{insert: a, rows: 2, args: []any{1, 2, 3, 4}}, {insert: b, rows: 1, args: []any{5, 6, 7}}},
			sql:      "WITH h0 AS (INSERT INTO a (x, y) VALUES ($1, $2), ($3, $4)) INSERT INTO b (p, q, r) VALUES ($5, $6, $7)",
			wantArgs: []any{1, 2, 3, 4, 5, 6, 7},
		},
		{
			name:     "the same tables with another row count",
			held:     []*heldRows{{insert: a, rows: 1, args: []any{1, 2}}, {insert: b, rows: 1, args: []any{3, 4, 5}}},
			sql:      "WITH h0 AS (INSERT INTO a (x, y) VALUES ($1, $2)) INSERT INTO b (p, q, r) VALUES ($3, $4, $5)",
			wantArgs: []any{1, 2, 3, 4, 5},
		},
		{
			name: "three tables in another order",
			held: []*heldRows{{insert: c, rows: 1, args: []any{"z"}}, {insert: b, rows: 1, args: []any{1, 2, 3}}, {insert: a, rows: 1, args: []any{4, 5}}},
			sql: "WITH h0 AS (INSERT INTO c (z) VALUES ($1)), h1 AS (INSERT INTO b (p, q, r) VALUES ($2, $3, $4)) " +
				"INSERT INTO a (x, y) VALUES ($5, $6)",
			wantArgs: []any{"z", 1, 2, 3, 4, 5},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The second time, the statement comes from those already built.
			for range 2 {
				sql, args, ok := together(tt.held)
				if !ok || sql != tt.sql || !slices.Equal(args, tt.wantArgs) {
					t.Fatalf("together = %q, %v, %v; want %q, %v", sql, args, ok, tt.sql, tt.wantArgs)
				}
			}
		})
	}
}

// Past maxTogetherStatements shapes, a new shape's rows do not go together (each table's go
// as a statement of their own), and the shapes already built still do.
func TestTogetherStopsAtItsBoundOfShapes(t *testing.T) {
	a := &rowsInsert{id: 60011, head: "INSERT INTO a (x) VALUES ", cols: 1}
	b := &rowsInsert{id: 60012, head: "INSERT INTO b (y) VALUES ", cols: 1}
	shape := func(rows int) []*heldRows {
		args := make([]any, rows)
		return []*heldRows{{insert: a, rows: rows, args: args}, {insert: b, rows: rows, args: args}}
	}
	cache := &togetherStatements
	cache.Lock()
	saved := cache.m
	cache.m = map[string]string{}
	cache.Unlock()
	t.Cleanup(func() {
		cache.Lock()
		cache.m = saved
		cache.Unlock()
	})
	for rows := 1; rows <= maxTogetherStatements; rows++ {
		if _, _, ok := together(shape(rows)); !ok {
			t.Fatalf("shape %d of %d did not go together", rows, maxTogetherStatements)
		}
	}
	if sql, _, ok := together(shape(maxTogetherStatements + 1)); ok {
		t.Errorf("a shape past the bound went together: %.60q…", sql)
	}
	if _, _, ok := together(shape(1)); !ok {
		t.Error("a shape built before the bound was reached no longer goes together")
	}
}
