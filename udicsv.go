package saldo

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxUDICSVLine bounds a line of a UDI file; Banxico's are under a hundred bytes.
const maxUDICSVLine = 64 << 10

// udiNoData is what Banco de México writes for a day without a value.
const udiNoData = "N/E"

// ReadUDICSV reads UDI values from a CSV file of date and value, as Banco de México (SIE
// series SP68257) and the Diario Oficial publish them:
//
//	"Valor de la unidad de inversión (UDI)"
//	"Fecha","Valor"
//	"26/09/2024","8.245227"
//
// Every line before the first whose first field is a date (DD/MM/YYYY or YYYY-MM-DD) is a
// title or a header and is skipped. From that row on, every line that is not blank must be a
// date and a value with up to six decimals, or N/E for a day without one (skipped); anything
// else is an error naming its line. Fields may be quoted and padded with spaces; a UTF-8 byte
// order mark and CRLF line ends are fine. The same day twice with different values is an
// error. The values come back in the file's order; a file without a single dated row is an
// error.
func ReadUDICSV(r io.Reader) ([]UDIValue, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxUDICSVLine)
	var (
		values []UDIValue
		seen   = map[string]int64{}
		data   bool // a dated row was read
		line   int
	)
	for sc.Scan() {
		line++
		text := sc.Bytes()
		if line == 1 {
			text = bytes.TrimPrefix(text, []byte("\uFEFF"))
		}
		if len(bytes.TrimSpace(text)) == 0 {
			continue
		}
		fields, err := csvFields(text)
		if !data {
			if err != nil || len(fields) == 0 {
				continue // a title line need not be valid CSV
			}
			if _, ok := ParseUDIDay(fields[0]); !ok {
				continue
			}
			data = true
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		v, skip, err := udiRow(fields)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if skip {
			continue
		}
		if prev, ok := seen[v.Day]; ok {
			if prev != v.Micros {
				return nil, fmt.Errorf("line %d: %s appears twice with different values (%s and %s)",
					line, v.Day, FormatUDIValue(prev), FormatUDIValue(v.Micros))
			}
			continue
		}
		seen[v.Day] = v.Micros
		values = append(values, v)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("line %d: longer than %d bytes", line+1, maxUDICSVLine)
		}
		return nil, err
	}
	if !data {
		return nil, errors.New("no row starts with a date (DD/MM/YYYY or YYYY-MM-DD)")
	}
	return values, nil
}

// csvFields splits one line into its fields, unquoted and trimmed of spaces.
func csvFields(line []byte) ([]string, error) {
	cr := csv.NewReader(bytes.NewReader(line))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	fields, err := cr.Read()
	if err != nil {
		if pe, ok := errors.AsType[*csv.ParseError](err); ok {
			err = pe.Err
		}
		return nil, err
	}
	if _, err := cr.Read(); err != io.EOF {
		// A quoted field spanning lines: not a row of date and value.
		return nil, errors.New("a quoted field runs past the end of the line")
	}
	for i, f := range fields {
		fields[i] = strings.TrimSpace(f)
	}
	return fields, nil
}

// udiRow reads a row of date and value; skip is true for a day without a value (N/E).
func udiRow(fields []string) (v UDIValue, skip bool, err error) {
	// Trailing empty fields (a final comma) are fine; a third value is not.
	for len(fields) > 2 && fields[len(fields)-1] == "" {
		fields = fields[:len(fields)-1]
	}
	if len(fields) != 2 {
		return v, false, fmt.Errorf("want a date and a value, found %d fields", len(fields))
	}
	day, ok := ParseUDIDay(fields[0])
	if !ok {
		return v, false, fmt.Errorf("date %.40q: want DD/MM/YYYY or YYYY-MM-DD", fields[0])
	}
	if strings.EqualFold(fields[1], udiNoData) {
		return v, true, nil
	}
	micros, ok := ParseUDIValue(fields[1])
	if !ok {
		return v, false, fmt.Errorf("value %.40q: want pesos with up to six decimals, such as 8.245227", fields[1])
	}
	return UDIValue{Day: day, Micros: micros}, false, nil
}
