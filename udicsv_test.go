package saldo

import (
	"os"
	"strings"
	"testing"
)

// The sample is fifteen values of SIE series SP68257 as Banco de México publishes them, with
// its title and header lines.
func TestReadUDICSVReadsBanxicosSample(t *testing.T) {
	f, err := os.Open("testdata/udis-sample.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	values, err := ReadUDICSV(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(values) != 15 {
		t.Fatalf("%d values, want 15: %v", len(values), values)
	}
	first, last := values[0], values[len(values)-1]
	if first != (UDIValue{Day: "2024-09-26", Micros: 8_245_227}) || last != (UDIValue{Day: "2024-10-10", Micros: 8_252_018}) {
		t.Errorf("first %+v, last %+v; want 2024-09-26 8.245227 and 2024-10-10 8.252018", first, last)
	}
	for i := 1; i < len(values); i++ {
		if values[i].Day <= values[i-1].Day || values[i].Micros <= values[i-1].Micros {
			t.Errorf("value %d %+v does not follow %+v", i, values[i], values[i-1])
		}
	}
}

func TestReadUDICSV(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		want     []UDIValue
	}{
		{"ISO dates without quotes", "2024-10-01,8.247652\n2024-10-02,8.248137\n",
			[]UDIValue{{"2024-10-01", 8_247_652}, {"2024-10-02", 8_248_137}}},
		{"a title with commas and a header", "Banco de México, SIE\r\nSerie,SP68257\r\nFecha,Valor\r\n01/10/2024,8.247652\r\n",
			[]UDIValue{{"2024-10-01", 8_247_652}}},
		{"a byte order mark, blank lines and spaces", "\uFEFF\"Fecha\",\"Valor\"\n\n 01/10/2024 , \"8.5\"\n\n",
			[]UDIValue{{"2024-10-01", 8_500_000}}},
		{"N/E days are skipped", "Fecha,SP68257\n01/10/2024,N/E\n02/10/2024,8.248137\n03/10/2024,\"N/E\"\n",
			[]UDIValue{{"2024-10-02", 8_248_137}}},
		{"a title line that is not valid CSV", "Valor \"UDI\" de \"hoy\n\"Fecha\",\"Valor\"\n01/10/2024,8.247652\n",
			[]UDIValue{{"2024-10-01", 8_247_652}}},
		{"a final comma", "01/10/2024,8.247652,\n", []UDIValue{{"2024-10-01", 8_247_652}}},
		{"the same day twice with the same value", "01/10/2024,8.247652\n2024-10-01,8.247652\n", []UDIValue{{"2024-10-01", 8_247_652}}},
		{"only days without a value", "01/10/2024,N/E\n", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadUDICSV(strings.NewReader(tt.in))
			if err != nil || len(got) != len(tt.want) {
				t.Fatalf("%+v, %v; want %+v", got, err, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("value %d: %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// After the first dated row, a malformed row is an error naming its line, never skipped.
func TestReadUDICSVRefusesMalformedRows(t *testing.T) {
	head := "\"Valor de la UDI\"\n\"Fecha\",\"Valor\"\n\"26/09/2024\",\"8.245227\"\n"
	for _, tt := range []struct {
		name, in, want string
	}{
		{"a value with seven decimals", head + "27/09/2024,8.2457121\n", "line 4: value \"8.2457121\""},
		{"a value with a comma for the point", head + "\"27/09/2024\",\"8,245712\"\n", "line 4: value \"8,245712\""},
		{"a value with a comma unquoted", head + "27/09/2024,8,245712\n", "line 4: want a date and a value, found 3 fields"},
		{"a negative value", head + "27/09/2024,-8.2\n", "line 4: value"},
		{"a zero value", head + "27/09/2024,0\n", "line 4: value"},
		{"an impossible date", head + "\n31/09/2024,8.2\n", "line 5: date \"31/09/2024\""},
		{"a footer after the data", head + "Fuente: Banco de México\n", "line 4: want a date and a value, found 1 fields"},
		{"a missing value", head + "27/09/2024\n", "line 4: want a date and a value"},
		{"an empty value", head + "27/09/2024,\n", "line 4: value \"\""},
		{"a third value", head + "27/09/2024,8.2,8.3\n", "line 4: want a date and a value, found 3 fields"},
		{"an unterminated quote", head + "27/09/2024,\"8.2\n", "line 4:"},
		{"the same day twice with different values", head + "2024-09-26,8.245228\n", "line 4: 2024-09-26 appears twice"},
		{"no dated row at all", "\"Fecha\",\"Valor\"\n", "no row starts with a date"},
		{"an empty file", "", "no row starts with a date"},
		{"a line too long", head + strings.Repeat("x", maxUDICSVLine+1) + "\n", "line 4: longer than"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadUDICSV(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%+v, %v; want an error containing %q", got, err, tt.want)
			}
		})
	}
}
