package doc

import "bytes"

// Owner says which layer's value of a top-level key wins when two records
// of one entry merge.
type Owner int

const (
	// BaseOwns: the base layer's value wins where it is present and not
	// null; where both values are objects they merge key by key under the
	// same rule; null never erases a value.
	BaseOwns Owner = iota
	// OverlayOwns: the overlay's value wins where it is present and not
	// null, then the base's, then the overlay's null.
	OverlayOwns
)

// side is one layer's view of a value: its bytes, whether it is present and
// whether its record has the reference layout.
type side struct {
	v     []byte
	ok    bool
	canon bool
}

func (s side) set() bool { return s.ok && !isNull(s.v) }

// MergedValue returns the merged value of one top-level key of an entry
// held in both layers, under owner; the zero Value when neither has it. An
// object merge is written in the reference layout of a member of a record
// at array depth 1.
func MergedValue(key string, over, base Record, owner Owner) Value {
	ov, bv := over.Get(key), base.Get(key)
	v, _, _ := resolve(owner, side{ov, ov != nil, over.canon}, side{bv, bv != nil, base.canon}, 2)
	return v
}

// resolve merges one top-level key; ind is the indentation of the line
// the value sits on. The returned value is in the reference layout when
// canon is true.
func resolve(owner Owner, d, c side, ind int) (v []byte, canon, ok bool) {
	if owner == OverlayOwns {
		switch {
		case d.set():
			return d.v, d.canon, true
		case c.set():
			return c.v, c.canon, true
		case d.ok:
			return d.v, d.canon, true
		}
		return c.v, c.canon, c.ok
	}
	return resolveBase(d, c, ind)
}

// resolveBase applies BaseOwns.
func resolveBase(d, c side, ind int) (v []byte, canon, ok bool) {
	if c.set() {
		if d.ok && d.canon == c.canon && bytes.Equal(d.v, c.v) {
			return c.v, c.canon, true
		}
		if d.ok && isObject(d.v) && isObject(c.v) {
			return mergeObjects(nil, d, c, ind), true, true
		}
		return c.v, c.canon, true
	}
	if d.ok {
		return d.v, d.canon, true
	}
	return c.v, c.canon, c.ok
}

// kv is an object member: the key's token and the value.
type kv struct {
	tok []byte
	v   []byte
}

// plainKey reports a key token without escapes, whose bytes are the key.
func plainKey(tok []byte) bool { return bytes.IndexByte(tok, '\\') < 0 }

func sameKey(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	if plainKey(a) && plainKey(b) {
		return false
	}
	return unquote(a) == unquote(b)
}

// appendKey appends the key token the reference way.
func appendKey(dst, tok []byte) []byte {
	if plainKey(tok) {
		return append(dst, tok...)
	}
	return appendQuoted(dst, unquote(tok))
}

// orderedMembers lists an object's members in order; a repeated key keeps
// its first position and takes its last value, as a Python dict does.
// A 256-bit mask of key hashes limits the duplicate search to keys whose
// hash bit was already seen.
func orderedMembers(obj []byte) []kv {
	if !isObject(obj) {
		return nil
	}
	out := make([]kv, 0, 16)
	var mask [4]uint64
	eachMember(obj, func(k, v []byte) bool {
		h := keyHash(k)
		if mask[h>>6]&(1<<(h&63)) != 0 {
			for i := range out {
				if sameKey(out[i].tok, k) {
					out[i].v = v
					return true
				}
			}
		}
		mask[h>>6] |= 1 << (h & 63)
		out = append(out, kv{k, v})
		return true
	})
	return out
}

// keyHash hashes a key's decoded form into 0..255.
func keyHash(tok []byte) uint8 {
	if !plainKey(tok) {
		tok = []byte(appendQuoted(nil, unquote(tok)))
	}
	h := uint32(2166136261)
	for _, c := range tok {
		h = (h ^ uint32(c)) * 16777619
	}
	return uint8(h ^ h>>8 ^ h>>16 ^ h>>24)
}

// lookupHint finds key tok in ms. hint is where the previous lookup
// matched; objects whose keys come in the same order are searched in one
// pass.
func lookupHint(ms []kv, tok []byte, hint *int) ([]byte, bool) {
	n := len(ms)
	for j := range n {
		i := (*hint + 1 + j) % n
		if sameKey(ms[i].tok, tok) {
			*hint = i
			return ms[i].v, true
		}
	}
	return nil, false
}

// join calls fn for every key of the objects over and base as a merge
// lists them: over's keys in order, then the keys only base has; a value
// the object lacks is nil. Repeated keys count once, with their last value.
func join(over, base []byte, fn func(tok, ov, bv []byte)) {
	each(orderedMembers(over), orderedMembers(base), fn)
}

func each(dm, cm []kv, fn func(tok, ov, bv []byte)) {
	hint := -1
	for _, m := range dm {
		cv, _ := lookupHint(cm, m.tok, &hint)
		fn(m.tok, m.v, cv)
	}
	hint = -1
	for _, m := range cm {
		if _, ok := lookupHint(dm, m.tok, &hint); !ok {
			fn(m.tok, nil, m.v)
		}
	}
}

// Joined is the keys of two objects as a merge lists them (see Join).
type Joined struct{ over, base []kv }

// Join lists the keys of the objects over and base (either may be nil, or
// not an object, for none) in the order a merge writes them: over's keys in
// order, then the keys only base has. A repeated key counts once, at its
// first position with its last value, as a Python dict reads it.
func Join(over, base []byte) Joined {
	return Joined{orderedMembers(over), orderedMembers(base)}
}

// Len returns the number of keys.
func (j Joined) Len() int {
	if len(j.base) == 0 {
		return len(j.over)
	}
	n := len(j.over)
	hint := -1
	for _, m := range j.base {
		if _, ok := lookupHint(j.over, m.tok, &hint); !ok {
			n++
		}
	}
	return n
}

// Each calls fn for every key in order with its value in each object; a
// value an object lacks is nil.
func (j Joined) Each(fn func(key string, ov, bv Value)) {
	each(j.over, j.base, func(tok, ov, bv []byte) { fn(unquote(tok), ov, bv) })
}

// mergeObjects appends the BaseOwns merge of two objects, the object's own
// line at indentation ind.
func mergeObjects(dst []byte, d, c side, ind int) []byte {
	n := 0
	dst = append(dst, '{')
	join(d.v, c.v, func(tok, dv, cv []byte) {
		var v []byte
		canon := c.canon
		if dv == nil {
			v = cv
		} else {
			v, canon, _ = resolveBase(side{dv, true, d.canon}, side{cv, cv != nil, c.canon}, ind+1)
		}
		dst = appendItemStart(dst, n, ind+1)
		n++
		dst = appendKey(dst, tok)
		dst = append(dst, ':', ' ')
		dst = appendValue(dst, v, canon, ind+1)
	})
	return appendClose(dst, n, ind, '}')
}

// Merge appends the merged record of an entry held in both layers, in the
// reference layout at array depth 1: the overlay's keys in order, then the
// keys only the base has, each top-level key's value chosen by owner(key).
func Merge(dst []byte, over, base Record, owner func(key string) Owner) []byte {
	dk, ck := over.keys(), base.keys()
	n := 0
	emit := func(key string) {
		dv, cv := over.Get(key), base.Get(key)
		v, canon, _ := resolve(owner(key), side{dv, dv != nil, over.canon}, side{cv, cv != nil, base.canon}, 2)
		dst = appendItemStart(dst, n, 2)
		n++
		dst = appendQuoted(dst, key)
		dst = append(dst, ':', ' ')
		dst = appendValue(dst, v, canon, 2)
	}
	dst = append(dst, '{')
	for _, k := range dk {
		emit(k)
	}
	for _, k := range ck {
		if over.Get(k) == nil {
			emit(k)
		}
	}
	return appendClose(dst, n, 1, '}')
}
