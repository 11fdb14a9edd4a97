package migrate

import (
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
