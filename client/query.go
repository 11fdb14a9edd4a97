package client

import (
	"iter"
	"net/url"
	"strconv"
)

// query collects a request's query parameters, leaving out those not set, so that a list
// call without options asks for the server's defaults.
type query url.Values

func (q query) text(name, v string) {
	if v != "" {
		url.Values(q).Set(name, v)
	}
}

func (q query) number(name string, n int64) {
	if n != 0 {
		url.Values(q).Set(name, strconv.FormatInt(n, 10))
	}
}

// on is path with the parameters set, if any.
func (q query) on(path string) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + url.Values(q).Encode()
}

// pages yields every item of a cursor-paged list, fetching each page as the loop reaches it:
// next fetches the page after cursor ("" the first) and returns its items and the next
// cursor ("" after the last page). The first error ends the sequence, yielded with a zero item.
func pages[T any](next func(cursor string) ([]T, string, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		cursor := ""
		for {
			items, after, err := next(cursor)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, item := range items {
				if !yield(item, nil) {
					return
				}
			}
			if after == "" {
				return
			}
			cursor = after
		}
	}
}
