package migrate

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		files   fstest.MapFS
		want    []int
		wantErr bool
	}{
		{"orders by version, not by listing", fstest.MapFS{
			"m/0002_b.sql": {Data: []byte("B")}, "m/0001_a.sql": {Data: []byte("A")}, "m/README": {Data: nil},
		}, []int{1, 2}, false},
		{"a gap is an error", fstest.MapFS{"m/0001_a.sql": {}, "m/0003_c.sql": {}}, nil, true},
		{"a repeated version is an error", fstest.MapFS{"m/0001_a.sql": {}, "m/0001_b.sql": {}}, nil, true},
		{"a name without a number is an error", fstest.MapFS{"m/init.sql": {}}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Load(tt.files, "m")
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d migrations, want %d", len(got), len(tt.want))
			}
			for i, m := range got {
				if m.Version != tt.want[i] {
					t.Errorf("migration %d has version %d, want %d", i, m.Version, tt.want[i])
				}
			}
		})
	}
}

func TestCheck(t *testing.T) {
	known := []Migration{{Version: 1, Name: "0001_a.sql"}, {Version: 2, Name: "0002_b.sql"}, {Version: 3, Name: "0003_c.sql"}}
	tests := []struct {
		name        string
		applied     []int
		wantPending []int // nil: Check returns nil
		wantText    string
	}{
		{"a database without migrations has every one pending", nil, []int{1, 2, 3}, "no saldo schema (3 migrations pending)"},
		{"a database with all of them is current", []int{1, 2, 3}, nil, ""},
		{"a database missing the last is behind", []int{1, 2}, []int{3}, "1 of 3 migrations pending, from 0003_c.sql"},
		{"a database missing one in the middle is behind", []int{3, 1}, []int{2}, "1 of 3 migrations pending, from 0002_b.sql"},
		{"versions a newer binary applied are not pending", []int{1, 2, 3, 4}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(known, tt.applied)
			if tt.wantPending == nil {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}
			behind, ok := errors.AsType[*BehindError](err)
			if !ok {
				t.Fatalf("Check = %v, want a *BehindError", err)
			}
			var got []int
			for _, m := range behind.Pending {
				got = append(got, m.Version)
			}
			if !slices.Equal(got, tt.wantPending) || !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("pending %v, %q; want %v and a message with %q", got, err, tt.wantPending, tt.wantText)
			}
		})
	}
}
