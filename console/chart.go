package console

import (
	"fmt"
	"html"
	"html/template"
	"strings"
)

// Charts are SVG drawn here, inline in the page: no script, no library, nothing fetched.
// Colours come from the stylesheet's classes.

// series is one named row of values, drawn with a stylesheet class.
type series struct {
	Name   string
	Class  string
	Values []int64
}

const (
	chartWidth  = 720
	chartHeight = 220
	chartLeft   = 56 // room for the axis labels
	chartBottom = 28
	chartTop    = 12
)

// columnChart draws one column per label, the series stacked in it, with a y axis.
func columnChart(title string, labels []string, stack []series, format func(int64) string) template.HTML {
	var top int64
	for i := range labels {
		var sum int64
		for _, s := range stack {
			sum += s.Values[i]
		}
		top = max(top, sum)
	}
	top = niceCeiling(top)
	plotW, plotH := float64(chartWidth-chartLeft-8), float64(chartHeight-chartBottom-chartTop)
	step := plotW / float64(max(len(labels), 1))
	var b strings.Builder
	openSVG(&b, title, chartWidth, chartHeight)
	for _, frac := range []float64{0, 0.5, 1} {
		if frac == 0.5 && top%2 != 0 {
			continue // a top of 1 has no whole middle
		}
		y := float64(chartTop) + plotH*(1-frac)
		fmt.Fprintf(&b, `<line class="grid" x1="%d" y1="%.1f" x2="%d" y2="%.1f"/>`, chartLeft, y, chartWidth-8, y)
		fmt.Fprintf(&b, `<text class="axis" x="%d" y="%.1f" text-anchor="end">%s</text>`, chartLeft-6, y+4, esc(format(int64(float64(top)*frac))))
	}
	for i, label := range labels {
		x := float64(chartLeft) + step*float64(i) + step*0.15
		y := float64(chartTop) + plotH
		var tip []string
		for _, s := range stack {
			h := plotH * float64(s.Values[i]) / float64(top)
			y -= h
			if h > 0 {
				fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"/>`, s.Class, x, y, step*0.7, h)
			}
			tip = append(tip, s.Name+" "+format(s.Values[i]))
		}
		fmt.Fprintf(&b, `<rect class="hit" x="%.1f" y="%d" width="%.1f" height="%.1f"><title>%s: %s</title></rect>`,
			x, chartTop, step*0.7, plotH, esc(label), esc(strings.Join(tip, ", ")))
		if i%5 == 0 || i == len(labels)-1 {
			fmt.Fprintf(&b, `<text class="axis" x="%.1f" y="%d" text-anchor="middle">%s</text>`, x+step*0.35, chartHeight-8, esc(label))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// barRow is one horizontal bar: a label and segments laid end to end, with a caption.
type barRow struct {
	Label    string
	Segments []segment
	Caption  string
	// Outline, when positive, is drawn as an empty frame of that value behind the segments:
	// a line the segments draw on.
	Outline int64
}

type segment struct {
	Class string
	Value int64
	Title string
}

// barChart draws horizontal bars on one scale.
func barChart(title string, rows []barRow) template.HTML {
	const labelW, captionW, rowH = 130, 250, 26
	var top int64
	for _, r := range rows {
		var sum int64
		for _, s := range r.Segments {
			sum += s.Value
		}
		top = max(top, sum, r.Outline)
	}
	top = max(top, 1)
	height := max(len(rows), 1)*rowH + 8
	plotW := float64(chartWidth - labelW - captionW)
	var b strings.Builder
	openSVG(&b, title, chartWidth, height)
	if len(rows) == 0 {
		fmt.Fprintf(&b, `<text class="axis" x="8" y="20">nothing to show yet</text>`)
	}
	for i, r := range rows {
		y := float64(4 + i*rowH)
		fmt.Fprintf(&b, `<text class="label" x="%d" y="%.1f" text-anchor="end">%s</text>`, labelW-8, y+16, esc(r.Label))
		if r.Outline > 0 {
			fmt.Fprintf(&b, `<rect class="outline" x="%d" y="%.1f" width="%.1f" height="18"><title>%s</title></rect>`,
				labelW, y+2, plotW*float64(r.Outline)/float64(top), esc(r.Label+": "+r.Caption))
		}
		x := float64(labelW)
		for _, s := range r.Segments {
			w := plotW * float64(s.Value) / float64(top)
			if w > 0 {
				fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="18"><title>%s</title></rect>`, s.Class, x, y+2, w, esc(s.Title))
			}
			x += w
		}
		fmt.Fprintf(&b, `<text class="axis" x="%d" y="%.1f">%s</text>`, chartWidth-captionW+8, y+16, esc(r.Caption))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func openSVG(b *strings.Builder, title string, w, h int) {
	fmt.Fprintf(b, `<svg class="chart" role="img" viewBox="0 0 %d %d"><title>%s</title>`, w, h, esc(title))
}

// niceCeiling rounds a chart's top up to 1, 2 or 5 times a power of ten, so the axis reads
// in round numbers; 0 becomes 1, so that an empty chart still has a scale.
func niceCeiling(v int64) int64 {
	if v <= 0 {
		return 1
	}
	p := int64(1)
	for p*10 <= v {
		p *= 10
	}
	for _, m := range []int64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func esc(s string) string { return html.EscapeString(s) }

// count formats a count for an axis.
func count(n int64) string { return fmt.Sprint(n) }
