package doc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 1000

// field is one top-level member of a scanned object; offsets are relative
// to the object's raw bytes.
type field struct {
	key              string
	keyOff           int32 // offset of the key's opening quote
	valStart, valEnd int32 // the value's span
}

// Record is one element of a top-level array, kept as the bytes it was
// read with plus an index of its top-level members. The zero Record is no
// element.
type Record struct {
	raw    []byte
	off    int // offset of raw in the scanned data; -1 for a record not read from a file
	fields []field
	isObj  bool
	canon  bool // whitespace inside raw is the reference layout at array depth 1
}

// SyntaxError is a scan failure at a byte offset (and, from ParseArray,
// its 1-based line and column in characters).
type SyntaxError struct {
	Off       int
	Line, Col int
	Msg       string
}

// Error returns the message without the position.
func (e *SyntaxError) Error() string { return e.Msg }

// scanner is a validating JSON scanner specialised for registry files: it
// splits the top-level array into records, indexes each record's top-level
// members and notes whether the record's layout is the reference one.
type scanner struct {
	data   []byte
	pos    int
	canon  bool
	depth  int
	intern map[string]string
}

// scanArray validates data as a JSON array and calls fn for each of its
// elements in order.
func scanArray(data []byte, fn func(Record)) *SyntaxError {
	s := &scanner{data: data, intern: make(map[string]string, 64)}
	return s.top(fn)
}

// ErrNotObject: scanObject was given something other than a JSON object.
var ErrNotObject = errors.New("not a JSON object")

// TrailingDataError: scanObject found data after the object at Off.
type TrailingDataError struct{ Off int }

func (e *TrailingDataError) Error() string {
	return fmt.Sprintf("data after the value at offset %d", e.Off)
}

// scanObject validates raw as one JSON object, with optional whitespace
// around it, and returns it with its members indexed. Errors are
// ErrNotObject, *SyntaxError or *TrailingDataError. The record's Canon
// reflects the reference layout at array depth 1.
func scanObject(raw []byte) (Record, error) {
	s := &scanner{data: raw, intern: map[string]string{}}
	s.skipWS()
	if s.pos >= len(raw) || raw[s.pos] != '{' {
		return Record{}, ErrNotObject
	}
	r, serr := s.element()
	if serr != nil {
		return Record{}, serr
	}
	if s.skipWS(); s.pos != len(raw) {
		return Record{}, &TrailingDataError{Off: s.pos}
	}
	return r, nil
}

// Valid reports whether raw is exactly one valid JSON value, whitespace
// around it aside.
func Valid(raw []byte) bool {
	s := &scanner{data: raw, intern: map[string]string{}}
	s.skipWS()
	if s.pos >= len(raw) {
		return false
	}
	if s.value(0) != nil {
		return false
	}
	s.skipWS()
	return s.pos == len(raw)
}

func (s *scanner) fail(format string, args ...any) *SyntaxError {
	return &SyntaxError{Off: s.pos, Msg: fmt.Sprintf(format, args...)}
}

func (s *scanner) eof() *SyntaxError {
	s.pos = len(s.data)
	return &SyntaxError{Off: s.pos, Msg: "unexpected end of file"}
}

func (s *scanner) skipWS() {
	d := s.data
	i := s.pos
	for i < len(d) {
		switch d[i] {
		case ' ', '\n', '\t', '\r':
			i++
			continue
		}
		break
	}
	s.pos = i
}

// checkWS clears canon unless data[from:pos] is a newline and ind levels of
// two-space indentation.
func (s *scanner) checkWS(from, ind int) {
	if !s.canon {
		return
	}
	w := s.data[from:s.pos]
	if len(w) != 1+2*ind || w[0] != '\n' || (ind > 0 && string(w[1:]) != spaces(ind)) {
		s.canon = false
	}
}

const spaceRun = "                                                                                                    "

// spaces returns ind levels of two-space indentation.
func spaces(ind int) string {
	if 2*ind <= len(spaceRun) {
		return spaceRun[:2*ind]
	}
	return strings.Repeat("  ", ind)
}

func (s *scanner) top(fn func(Record)) *SyntaxError {
	s.skipWS()
	if s.pos >= len(s.data) {
		return s.eof()
	}
	if s.data[s.pos] != '[' {
		return s.fail("registry file must hold a JSON array, found %s", describe(s.data[s.pos]))
	}
	s.pos++
	s.skipWS()
	if s.pos >= len(s.data) {
		return s.eof()
	}
	if s.data[s.pos] == ']' {
		s.pos++
	} else {
		for {
			r, err := s.element()
			if err != nil {
				return err
			}
			fn(r)
			// The layout between elements is not checked (s.canon
			// is the current element's, and element resets it).
			done, _, err := s.afterItem(0, ']', "array element")
			if err != nil {
				return err
			}
			if done {
				break
			}
		}
	}
	s.skipWS()
	if s.pos < len(s.data) {
		return s.fail("unexpected %s after the top-level array", describe(s.data[s.pos]))
	}
	return nil
}

func (s *scanner) element() (Record, *SyntaxError) {
	start := s.pos
	s.canon = true
	r := Record{off: start}
	if s.data[s.pos] == '{' {
		r.isObj = true
		if err := s.object(1, &r.fields, start); err != nil {
			return Record{}, err
		}
	} else if err := s.value(1); err != nil {
		return Record{}, err
	}
	r.raw = s.data[start:s.pos:s.pos]
	r.canon = s.canon
	return r, nil
}

// enter steps into the object or array opening at s.pos, one level
// deeper (the caller steps out again with s.depth--, whatever enter
// returns), and over the whitespace after its opening byte, which starts
// at w. An empty one (closing next) is stepped over whole: empty, and a
// layout that is not the reference one when whitespace came between.
func (s *scanner) enter(closing byte) (w int, empty bool, err *SyntaxError) {
	s.depth++
	if s.depth > maxDepth {
		return 0, false, s.fail("nesting deeper than %d", maxDepth)
	}
	s.pos++
	w = s.pos
	s.skipWS()
	if s.pos >= len(s.data) {
		return w, false, s.eof()
	}
	if s.data[s.pos] == closing {
		if s.pos != w {
			s.canon = false
		}
		s.pos++
		return w, true, nil
	}
	return w, false, nil
}

// object scans an object whose opening brace sits on a line of indentation
// ind; when fields is non-nil its members are recorded relative to base.
func (s *scanner) object(ind int, fields *[]field, base int) *SyntaxError {
	w, empty, err := s.enter('}')
	defer func() { s.depth-- }()
	if err != nil || empty {
		return err
	}
	d := s.data
	for {
		s.checkWS(w, ind+1)
		if d[s.pos] != '"' {
			return s.fail("expected a string key, found %s", describe(d[s.pos]))
		}
		ks := s.pos
		esc, err := s.str()
		if err != nil {
			return err
		}
		ke := s.pos
		w = s.pos
		s.skipWS()
		if s.pos >= len(d) {
			return s.eof()
		}
		if d[s.pos] != ':' {
			return s.fail("expected ':' after object key, found %s", describe(d[s.pos]))
		}
		if s.pos != w {
			s.canon = false
		}
		s.pos++
		w = s.pos
		s.skipWS()
		if s.pos >= len(d) {
			return s.eof()
		}
		if s.pos-w != 1 || d[w] != ' ' {
			s.canon = false
		}
		vs := s.pos
		if err := s.value(ind + 1); err != nil {
			return err
		}
		if fields != nil {
			*fields = append(*fields, field{key: s.key(d[ks:ke], esc), keyOff: int32(ks - base), valStart: int32(vs - base), valEnd: int32(s.pos - base)})
		}
		done, next, err := s.afterItem(ind, '}', "object member")
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		w = next
	}
}

func (s *scanner) key(tok []byte, esc bool) string {
	if esc {
		return unquote(tok)
	}
	in := tok[1 : len(tok)-1]
	if k, ok := s.intern[string(in)]; ok {
		return k
	}
	k := string(in)
	s.intern[k] = k
	return k
}

func (s *scanner) array(ind int) *SyntaxError {
	w, empty, err := s.enter(']')
	defer func() { s.depth-- }()
	if err != nil || empty {
		return err
	}
	for {
		s.checkWS(w, ind+1)
		if err := s.value(ind + 1); err != nil {
			return err
		}
		done, next, err := s.afterItem(ind, ']', "array element")
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		w = next
	}
}

// afterItem reads what follows an object member or array element that
// ends at s.pos: a comma, after which it skips to the next item and returns
// where the whitespace before it began, or the closing bracket, which ends
// the container (done). Whitespace that differs from the reference layout
// clears s.canon.
func (s *scanner) afterItem(ind int, closing byte, what string) (done bool, w int, err *SyntaxError) {
	d := s.data
	w = s.pos
	s.skipWS()
	if s.pos >= len(d) {
		return false, 0, s.eof()
	}
	switch d[s.pos] {
	case ',':
		if s.pos != w {
			s.canon = false
		}
		s.pos++
		w = s.pos
		s.skipWS()
		if s.pos >= len(d) {
			return false, 0, s.eof()
		}
		return false, w, nil
	case closing:
		s.checkWS(w, ind)
		s.pos++
		return true, 0, nil
	}
	return false, 0, s.fail("expected ',' or '%c' after %s, found %s", closing, what, describe(d[s.pos]))
}

func (s *scanner) value(ind int) *SyntaxError {
	d := s.data
	switch c := d[s.pos]; c {
	case '{':
		return s.object(ind, nil, 0)
	case '[':
		return s.array(ind)
	case '"':
		_, err := s.str()
		return err
	case 't':
		return s.lit("true")
	case 'f':
		return s.lit("false")
	case 'n':
		return s.lit("null")
	case 'N':
		return s.lit("NaN")
	case 'I':
		return s.lit("Infinity")
	case '-':
		if s.pos+1 < len(d) && d[s.pos+1] == 'I' {
			return s.lit("-Infinity")
		}
		return s.number()
	default:
		if c >= '0' && c <= '9' {
			return s.number()
		}
		return s.fail("unexpected %s", describe(c))
	}
}

func (s *scanner) lit(word string) *SyntaxError {
	if !bytes.HasPrefix(s.data[s.pos:], []byte(word)) {
		if len(s.data)-s.pos < len(word) && bytes.HasPrefix([]byte(word), s.data[s.pos:]) {
			return s.eof()
		}
		return s.fail("invalid literal, expected %s", word)
	}
	s.pos += len(word)
	return nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (s *scanner) number() *SyntaxError {
	d := s.data
	i := s.pos
	if d[i] == '-' {
		i++
	}
	if i >= len(d) {
		return s.eof()
	}
	switch {
	case d[i] == '0':
		i++
	case isDigit(d[i]):
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	default:
		s.pos = i
		return s.fail("invalid number")
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) {
			return s.eof()
		}
		if !isDigit(d[i]) {
			s.pos = i
			return s.fail("invalid number: digit expected after '.'")
		}
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) {
			return s.eof()
		}
		if !isDigit(d[i]) {
			s.pos = i
			return s.fail("invalid number: digit expected in exponent")
		}
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	}
	s.pos = i
	return nil
}

// strPlain reports a byte that needs no attention inside a string.
func strPlain(c byte) bool { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\' }

// str scans a string token and reports whether it holds an escape.
func (s *scanner) str() (bool, *SyntaxError) {
	d := s.data
	i := s.pos + 1
	esc := false
	for {
		// Eight bytes at a time while none is '"', '\\', a control
		// character or non-ASCII.
		for i+8 <= len(d) {
			w := binary.LittleEndian.Uint64(d[i:])
			if (hasLess(w, 0x20)|hasZero(w^(0x22*ones))|hasZero(w^(0x5c*ones))|w)&highs != 0 {
				break
			}
			i += 8
		}
		for i < len(d) && strPlain(d[i]) {
			i++
		}
		if i >= len(d) {
			return esc, s.eof()
		}
		c := d[i]
		switch {
		case c == '"':
			s.pos = i + 1
			return esc, nil
		case c == '\\':
			esc = true
			if i+1 >= len(d) {
				return esc, s.eof()
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(d) {
					return esc, s.eof()
				}
				for _, h := range d[i+2 : i+6] {
					if !isHex(h) {
						s.pos = i
						return esc, s.fail("invalid \\u escape in string")
					}
				}
				i += 6
			default:
				s.pos = i
				return esc, s.fail("invalid escape in string")
			}
		case c < 0x20:
			s.pos = i
			return esc, s.fail("invalid control character in string")
		default:
			r, n := utf8.DecodeRune(d[i:])
			if r == utf8.RuneError && n <= 1 {
				s.pos = i
				return esc, s.fail("invalid UTF-8 in string")
			}
			i += n
		}
	}
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// hasZero flags (in the high bit of each byte) the zero bytes of w.
func hasZero(w uint64) uint64 { return (w - ones) & ^w & highs }

// hasLess flags bytes of w below n (n <= 128), for bytes below 0x80.
func hasLess(w uint64, n uint64) uint64 { return (w - ones*n) & ^w & highs }

func isHex(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func describe(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("%q", rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

// lineCol converts a byte offset into a 1-based line and a 1-based column
// counted in characters.
func lineCol(data []byte, off int) (line, col int) {
	if off > len(data) {
		off = len(data)
	}
	line = 1 + bytes.Count(data[:off], []byte{'\n'})
	start := bytes.LastIndexByte(data[:off], '\n') + 1
	return line, 1 + utf8.RuneCount(data[start:off])
}
