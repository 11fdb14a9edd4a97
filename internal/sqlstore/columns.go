package sqlstore

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// A column is one column of a table whose rows a T holds: its name (in a list only read, it may
// be an expression), the query argument that writes it from a T, and the Scan destination that
// reads it into one. In a list only written, a column may leave dest out.
type column[T any] struct {
	name string
	arg  func(r *T, tm Times) any
	dest func(r *T, tm Times) any
}

// field is a column that holds a field of T as it is; at returns where it is in a row.
func field[T, F any](name string, at func(*T) *F) column[T] {
	return column[T]{
		name: name,
		arg:  func(r *T, _ Times) any { return *at(r) },
		dest: func(r *T, _ Times) any { return at(r) },
	}
}

// instant is a column that holds an instant of T through the engine's Times; at returns where
// it is in a row.
func instant[T any](name string, at func(*T) *time.Time) column[T] {
	return column[T]{
		name: name,
		arg:  func(r *T, tm Times) any { return tm.Arg(*at(r)) },
		dest: func(r *T, tm Times) any { return tm.Dest(at(r)) },
	}
}

// derived is a column written with a value computed from the row, and dropped when read.
func derived[T, F any](name string, value func(*T) F) column[T] {
	return column[T]{
		name: name,
		arg:  func(r *T, _ Times) any { return value(r) },
		dest: func(*T, Times) any { return new(F) },
	}
}

// columns are columns of a table, in the order of a statement's arguments or of its result.
// The SQL that names them is built once, with them.
type columns[T any] struct {
	table string
	list  []column[T]
	names string // "a, b, c"
}

func newColumns[T any](table string, list []column[T]) *columns[T] {
	names := make([]string, len(list))
	for i, c := range list {
		names[i] = c.name
	}
	return &columns[T]{table: table, list: list, names: strings.Join(names, ", ")}
}

// withoutFirst are cs but their first, which is the id the engine assigns when a row is
// inserted without it.
func (cs *columns[T]) withoutFirst() *columns[T] {
	return newColumns(cs.table, cs.list[1:])
}

// args are r's values for cs.
func (cs *columns[T]) args(r *T, tm Times) []any {
	return cs.appendArgs(make([]any, 0, len(cs.list)), r, tm)
}

// appendArgs appends r's values for cs to args.
func (cs *columns[T]) appendArgs(args []any, r *T, tm Times) []any {
	for _, c := range cs.list {
		args = append(args, c.arg(r, tm))
	}
	return args
}

// dests are the Scan destinations that read a row of cs into r.
func (cs *columns[T]) dests(r *T, tm Times) []any {
	d := make([]any, len(cs.list))
	for i, c := range cs.list {
		d[i] = c.dest(r, tm)
	}
	return d
}

// selectFrom is "SELECT cs FROM table".
func (cs *columns[T]) selectFrom() string { return "SELECT " + cs.names + " FROM " + cs.table }

// selectWhere is "SELECT cs FROM table WHERE where".
func (cs *columns[T]) selectWhere(where string) string { return cs.selectFrom() + " WHERE " + where }

// insert is the INSERT of rows rows of cs.
func (cs *columns[T]) insert(rows int) string {
	return insert(cs.table, cs.names, len(cs.list), rows)
}

// insert returns "INSERT INTO table (names) VALUES (…)" for rows rows of n columns, numbering
// placeholders $1, $2, ….
func insert(table, names string, n, rows int) string {
	return (&rowsInsert{head: "INSERT INTO " + table + " (" + names + ") VALUES ", cols: n}).build(rows)
}

// dollar numbers placeholders $1, $2, … as PostgreSQL and SQLite both accept.
func dollar(n int) string { return "$" + strconv.Itoa(n) }

// update is an UPDATE of the columns of cs but fixed, for the rows where matches: the
// placeholders of where come first ($1 … $keys), then those of the columns set.
type update[T any] struct {
	sql  string
	cols []column[T]
}

// update builds "UPDATE table SET c = $keys+1, … WHERE where".
func (cs *columns[T]) update(where string, keys int, fixed ...string) update[T] {
	var u update[T]
	var sets []string
	for _, c := range cs.list {
		if !slices.Contains(fixed, c.name) {
			u.cols = append(u.cols, c)
			sets = append(sets, c.name+" = "+dollar(keys+len(sets)+1))
		}
	}
	u.sql = "UPDATE " + cs.table + " SET " + strings.Join(sets, ", ") + " WHERE " + where
	return u
}

// args are the arguments of u: the keys of its WHERE clause, then r's values.
func (u update[T]) args(r *T, tm Times, keys ...any) []any {
	args := append(make([]any, 0, len(keys)+len(u.cols)), keys...)
	for _, c := range u.cols {
		args = append(args, c.arg(r, tm))
	}
	return args
}
