// Package migrate reads numbered SQL migrations embedded in a storage engine.
package migrate

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migration is one numbered schema change, applied in a transaction of its own.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Load returns the migrations in dir of fsys, named NNNN_description.sql, in version order.
// Gaps and repeated versions are errors: they mean a migration was lost or added twice.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must be NNNN_description.sql", name)
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %d", m.Name, i+1)
		}
	}
	return out, nil
}

// Pending returns the migrations of known whose versions applied lacks, in version order.
// Versions in applied that known lacks (a newer binary's) are not pending: they are ignored.
func Pending(known []Migration, applied []int) []Migration {
	have := make(map[int]bool, len(applied))
	for _, v := range applied {
		have[v] = true
	}
	var out []Migration
	for _, m := range known {
		if !have[m.Version] {
			out = append(out, m)
		}
	}
	return out
}

// BehindError says a database lacks migrations the binary knows: its schema is older than the
// binary's, or it has none at all.
type BehindError struct {
	Pending []Migration // in version order
	Known   int         // how many migrations the binary knows
}

func (e *BehindError) Error() string {
	if len(e.Pending) == e.Known {
		return fmt.Sprintf("the database has no saldo schema (%d migrations pending)", e.Known)
	}
	return fmt.Sprintf("the database schema is behind this binary's (%d of %d migrations pending, from %s)",
		len(e.Pending), e.Known, e.Pending[0].Name)
}

// Check compares the migrations a binary knows with the versions a database has applied: a
// *BehindError when any is pending, nil when none is.
func Check(known []Migration, applied []int) error {
	if pending := Pending(known, applied); len(pending) > 0 {
		return &BehindError{Pending: pending, Known: len(known)}
	}
	return nil
}
