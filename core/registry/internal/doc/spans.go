package doc

// spanList is the elements' spans of an Array, appended while the file is
// scanned (before their number is known): chunks that double from
// firstChunk up to maxChunk elements, so that growing it copies nothing
// and leaves no garbage, and a small file costs little.
type spanList struct {
	chunks [][]span
	n      int
}

const (
	firstChunk = 16
	maxChunk   = 1024
)

func (l *spanList) add(s span) {
	if k := len(l.chunks); k == 0 || len(l.chunks[k-1]) == cap(l.chunks[k-1]) {
		size := maxChunk
		if k < 7 { // 16 << 6 == maxChunk
			size = firstChunk << k
		}
		l.chunks = append(l.chunks, make([]span, 0, size))
	}
	c := &l.chunks[len(l.chunks)-1]
	*c = append(*c, s)
	l.n++
}

func (l *spanList) len() int { return l.n }

// at returns the i-th span.
func (l *spanList) at(i int) span {
	for _, c := range l.chunks {
		if i < len(c) {
			return c[i]
		}
		i -= len(c)
	}
	panic("doc: span index out of range")
}
