// Package suggest finds the known names closest to one that matched
// nothing, for "did you mean" hints: a case-insensitive match first, then
// names within a small Damerau-Levenshtein distance or that the name
// begins. It is the one place the loader decides what counts as close.
package suggest

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// maxSuggestions bounds how many names Closest returns.
const maxSuggestions = 3

// maxDistance is the largest edit distance that counts as close for a
// name of n runes: one edit for short names, up to three for long ones.
func maxDistance(n int) int {
	return min(3, max(1, n/4))
}

// minPrefix is the shortest name that may be offered the known names it
// begins.
const minPrefix = 3

// Closest returns the names of known that name was probably meant to be,
// best first, at most three: every name equal to it but for case when
// there is one, else the names within a small edit distance (a swap of two
// neighbouring characters counts as one edit) and the longer names it
// begins, by distance and then by name. Comparison ignores case and
// surrounding spaces. Exact matches are left out, so an empty answer means
// nothing is close. The work is bounded: names whose lengths differ too
// much are never compared character by character, so a very long name
// costs one pass over known.
func Closest(name string, known []string) []string {
	n := strings.ToLower(strings.TrimSpace(name))
	if n == "" {
		return nil
	}
	var folded []string
	for _, k := range known {
		if k != name && strings.EqualFold(strings.TrimSpace(k), n) {
			folded = append(folded, k)
		}
	}
	if len(folded) > 0 {
		slices.Sort(folded)
		return limit(slices.Compact(folded))
	}
	type cand struct {
		name string
		d    int
	}
	nr := []rune(n)
	maxD := maxDistance(len(nr))
	var cs []cand
	for _, k := range known {
		kl := strings.ToLower(strings.TrimSpace(k))
		if kl == n || kl == "" {
			continue
		}
		d := maxD + 1 // a name it begins ranks after the near misses
		prefix := len(nr) >= minPrefix && strings.HasPrefix(kl, n)
		if kn := utf8.RuneCountInString(kl); kn-len(nr) <= maxD && len(nr)-kn <= maxD {
			d = distance(nr, []rune(kl))
		}
		if d <= maxD || prefix {
			cs = append(cs, cand{k, min(d, maxD+1)})
		}
	}
	slices.SortFunc(cs, func(a, b cand) int {
		if a.d != b.d {
			return a.d - b.d
		}
		return strings.Compare(a.name, b.name)
	})
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		if !slices.Contains(out, c.name) {
			out = append(out, c.name)
		}
	}
	return limit(out)
}

func limit(s []string) []string {
	if len(s) > maxSuggestions {
		s = s[:maxSuggestions]
	}
	if len(s) == 0 {
		return nil
	}
	return s
}

// distance is the optimal-string-alignment Damerau-Levenshtein distance
// of a and b: insertions, deletions, substitutions and swaps of two
// neighbouring runes each cost one.
func distance(a, b []rune) int {
	// Three rows: the one two back is needed for swaps.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// Hint is the end of an error message for a name that matched nothing:
// `did you mean "a"?` (or `"a" or "b"`, `"a", "b" or "c"`) when
// suggestions are given, else `known: x, y, z` when known is, else "".
func Hint(suggestions, known []string) string {
	switch {
	case len(suggestions) > 0:
		q := make([]string, len(suggestions))
		for i, s := range suggestions {
			q[i] = fmt.Sprintf("%q", s)
		}
		if len(q) == 1 {
			return "did you mean " + q[0] + "?"
		}
		return "did you mean " + strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1] + "?"
	case len(known) > 0:
		return "known: " + strings.Join(known, ", ")
	}
	return ""
}

// Append adds Hint(suggestions, known) to msg after "; ", or returns msg
// when there is no hint.
func Append(msg string, suggestions, known []string) string {
	if h := Hint(suggestions, known); h != "" {
		return msg + "; " + h
	}
	return msg
}
