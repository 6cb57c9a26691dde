package doc

// ParseRecord parses raw, a record held alone in memory (one JSON object,
// whitespace around it aside). Errors are ErrNotObject, *SyntaxError or
// *TrailingDataError.
func ParseRecord(raw []byte) (Record, error) {
	r, err := scanObject(raw)
	if err != nil {
		return Record{}, err
	}
	r.off = -1
	return r, nil
}

// Bytes returns the record's bytes (shared; do not modify).
func (r Record) Bytes() []byte { return r.raw }

// IsObject reports whether the record is a JSON object.
func (r Record) IsObject() bool { return r.isObj }

// Canonical reports whether the record's bytes are in the reference layout
// at array depth 1.
func (r Record) Canonical() bool { return r.canon }

// Get returns the value of the last top-level member named key; the zero
// Value when there is none.
func (r Record) Get(key string) Value {
	for i := len(r.fields) - 1; i >= 0; i-- {
		if r.fields[i].key == key {
			f := r.fields[i]
			return r.raw[f.valStart:f.valEnd]
		}
	}
	return nil
}

// Len returns the number of top-level members, repeated keys included.
func (r Record) Len() int { return len(r.fields) }

// At returns the i-th top-level member in file order.
func (r Record) At(i int) (key string, val Value) {
	f := r.fields[i]
	return f.key, r.raw[f.valStart:f.valEnd]
}

// Position returns the 1-based line and column, in data (the file the
// record was parsed from), of the key of its i-th member, or of the record
// itself when i < 0.
func (r Record) Position(data []byte, i int) (line, col int) {
	off := max(r.off, 0)
	if i >= 0 {
		off += int(r.fields[i].keyOff)
	}
	return lineCol(data, off)
}

// keys lists the record's top-level keys in order without repeats.
func (r Record) keys() []string {
	out := make([]string, 0, len(r.fields))
	for _, f := range r.fields {
		dup := false
		for _, k := range out {
			if k == f.key {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, f.key)
		}
	}
	return out
}

// AppendRecord appends r in the reference layout at array depth 1:
// verbatim when its layout already is the reference one, rewritten
// otherwise.
func AppendRecord(dst []byte, r Record) []byte { return appendValue(dst, r.raw, r.canon, 1) }

// RecordBytes is AppendRecord without copying a record whose layout is
// already the reference one (the result is then shared).
func RecordBytes(r Record) []byte {
	if r.canon {
		return r.raw
	}
	return Reformat(nil, r.raw, 1)
}
