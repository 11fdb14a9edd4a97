package saldo

import (
	"os"
	"strings"
	"testing"
)

// ReadUDICSV never panics, and every value it returns is one SetUDIValues accepts and that
// round-trips: its day parses back to itself, its value written with six decimals reads back
// exactly, and the values written out as a file read back the same.
func FuzzReadUDICSV(f *testing.F) {
	if sample, err := os.ReadFile("testdata/udis-sample.csv"); err == nil {
		f.Add(string(sample))
	}
	for _, s := range []string{
		"", "Fecha,Valor\n01/10/2024,8.247652\n", "2024-10-01,N/E\n", "\uFEFF01/10/2024 , \"8.5\",\r\n",
		"01/10/2024,8.2\n01/10/2024,8.3\n", "\"a\"b\n01/10/2024,\"8.2\n", "01/10/2024,9999.999999\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		values, err := ReadUDICSV(strings.NewReader(in))
		if err != nil {
			if values != nil {
				t.Fatalf("values %+v with the error %v", values, err)
			}
			return
		}
		var out strings.Builder
		days := map[string]bool{}
		for _, v := range values {
			if day, ok := ParseUDIDay(v.Day); !ok || day != v.Day || len(v.Day) != 10 {
				t.Fatalf("day %q does not round-trip", v.Day)
			}
			if days[v.Day] {
				t.Fatalf("day %s returned twice", v.Day)
			}
			days[v.Day] = true
			if v.Micros <= 0 || v.Micros > maxUDIMicros {
				t.Fatalf("value %d out of range", v.Micros)
			}
			if m, ok := ParseUDIValue(FormatUDIValue(v.Micros)); !ok || m != v.Micros {
				t.Fatalf("value %d written %s reads back as %d, %v", v.Micros, FormatUDIValue(v.Micros), m, ok)
			}
			out.WriteString(v.Day + "," + FormatUDIValue(v.Micros) + "\n")
		}
		if len(values) == 0 {
			return
		}
		again, err := ReadUDICSV(strings.NewReader(out.String()))
		if err != nil || len(again) != len(values) {
			t.Fatalf("written out and read again: %+v, %v; want %+v", again, err, values)
		}
		for i := range again {
			if again[i] != values[i] {
				t.Fatalf("value %d read again %+v, want %+v", i, again[i], values[i])
			}
		}
	})
}
