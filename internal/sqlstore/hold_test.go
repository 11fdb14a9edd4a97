package sqlstore

import (
	"context"
	"slices"
	"testing"
)

// sent is a Conn that records the statements sent to it; nothing else of it may be called.
type sent struct {
	Conn
	sql  []string
	args [][]any
}

func (s *sent) Send(_ context.Context, sql string, args ...any) error {
	s.sql, s.args = append(s.sql, sql), append(s.args, args)
	return nil
}

// Rows held for several tables go as one statement whose placeholders and arguments run on from
// one table's rows to the next; each shape (the tables, their order, their row counts) is its
// own statement.
func TestHeldRowsOfSeveralTablesGoAsOneStatement(t *testing.T) {
	a := &rowsInsert{head: "INSERT INTO a (x, y) VALUES ", cols: 2}
	b := &rowsInsert{head: "INSERT INTO b (p, q, r) VALUES ", cols: 3}
	c := &rowsInsert{head: "INSERT INTO c (z) VALUES ", cols: 1}
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
	var shapes Shapes
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The second time, the statement comes from those already built.
			for range 2 {
				conn := &sent{}
				h := &holding{Conn: conn, shapes: &shapes}
				for _, r := range tt.held {
					if err := h.hold(context.Background(), r.insert, r.rows, r.args); err != nil {
						t.Fatal(err)
					}
				}
				if err := h.release(context.Background()); err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(conn.sql, []string{tt.sql}) || !slices.Equal(conn.args[0], tt.wantArgs) {
					t.Fatalf("sent %q with %v; want %q with %v", conn.sql, conn.args, tt.sql, tt.wantArgs)
				}
			}
		})
	}
}

// Past maxShapes shapes, a new shape's rows do not go together (each table's go as a
// statement of their own), and the shapes already built still do.
func TestShapesStopAtTheirBound(t *testing.T) {
	a := &rowsInsert{head: "INSERT INTO a (x) VALUES ", cols: 1}
	b := &rowsInsert{head: "INSERT INTO b (y) VALUES ", cols: 1}
	shape := func(rows int) []*heldRows {
		args := make([]any, rows)
		return []*heldRows{{insert: a, rows: rows, args: args}, {insert: b, rows: rows, args: args}}
	}
	var shapes Shapes
	for rows := 1; rows <= maxShapes; rows++ {
		if _, ok := shapes.statement(shape(rows)); !ok {
			t.Fatalf("shape %d of %d did not go together", rows, maxShapes)
		}
	}
	if sql, ok := shapes.statement(shape(maxShapes + 1)); ok {
		t.Errorf("a shape past the bound went together: %.60q…", sql)
	}
	if _, ok := shapes.statement(shape(1)); !ok {
		t.Error("a shape built before the bound was reached no longer goes together")
	}
}
