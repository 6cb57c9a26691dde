package registry

import (
	"bytes"

	"github.com/imageworks-ai/loader/core/registry/internal/doc"
)

// runtimeOwned reports whether a top-level key is owned by the discovered
// layer (tooling), as the field table says; every other key, unknown ones
// included, is owned by the curated layer.
func runtimeOwned(key string) bool {
	f, ok := knownFields().byKey[key]
	return ok && f.owner == ownerRuntime
}

// RuntimeOwned reports whether a top-level entry key is owned by the
// discovered layer (artifacts, version_lock, performance, probes and the
// download state). Tooling may change these keys of any entry.
func RuntimeOwned(key string) bool { return runtimeOwned(key) }

// side is one layer's view of a value: its bytes, whether it is present and
// whether its record has the reference layout.
type side struct {
	v     []byte
	ok    bool
	canon bool
}

func (s side) set() bool { return s.ok && !doc.IsNull(s.v) }

// resolveKey merges one top-level key of an entry present in both layers.
// ind is the indentation of the line the value sits on. The returned value
// is in the reference layout when canon is true.
func resolveKey(key string, d, c side, ind int) (v []byte, canon, ok bool) {
	if runtimeOwned(key) {
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
	return resolveCurated(d, c, ind)
}

// resolveCurated applies the curated-owned rule: the curated value wins
// where it is present and not null, objects merge key by key, and null
// never erases a value.
func resolveCurated(d, c side, ind int) (v []byte, canon, ok bool) {
	if c.set() {
		if d.ok && d.canon == c.canon && bytes.Equal(d.v, c.v) {
			return c.v, c.canon, true
		}
		if d.ok && doc.IsObject(d.v) && doc.IsObject(c.v) {
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
	return doc.Unquote(a) == doc.Unquote(b)
}

// appendKey appends the key token the reference way.
func appendKey(dst, tok []byte) []byte {
	if plainKey(tok) {
		return append(dst, tok...)
	}
	return doc.AppendQuoted(dst, doc.Unquote(tok))
}

// orderedMembers lists an object's members in order; a repeated key keeps
// its first position and takes its last value, as a Python dict does.
// A 256-bit mask of key hashes limits the duplicate search to keys whose
// hash bit was already seen.
func orderedMembers(obj []byte) []kv {
	out := make([]kv, 0, 16)
	var mask [4]uint64
	doc.EachMember(obj, func(k, v []byte) bool {
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
		tok = []byte(doc.AppendQuoted(nil, doc.Unquote(tok)))
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

// mergeObjects appends the curated-owned merge of two objects, the object's
// own line at indentation ind: discovered's members in their order, then
// the members only curated has.
func mergeObjects(dst []byte, d, c side, ind int) []byte {
	dm, cm := orderedMembers(d.v), orderedMembers(c.v)
	n := 0
	emit := func(tok []byte, v []byte, canon bool) {
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
		dst = append(dst, '\n')
		dst = append(dst, doc.Spaces(ind+1)...)
		dst = appendKey(dst, tok)
		dst = append(dst, ':', ' ')
		dst = doc.AppendValue(dst, v, canon, ind+1)
	}
	dst = append(dst, '{')
	hint := -1
	for _, m := range dm {
		cv, cok := lookupHint(cm, m.tok, &hint)
		v, canon, _ := resolveCurated(side{m.v, true, d.canon}, side{cv, cok, c.canon}, ind+1)
		emit(m.tok, v, canon)
	}
	hint = -1
	for _, m := range cm {
		if _, ok := lookupHint(dm, m.tok, &hint); !ok {
			emit(m.tok, m.v, c.canon)
		}
	}
	if n > 0 {
		dst = append(dst, '\n')
		dst = append(dst, doc.Spaces(ind)...)
	}
	return append(dst, '}')
}

// recordKeys lists a record's top-level keys in order without repeats.
func recordKeys(r *record) []string {
	out := make([]string, 0, len(r.fields))
	for _, f := range r.fields {
		dup := false
		for _, k := range out {
			if k == f.Key {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, f.Key)
		}
	}
	return out
}

// mergeRecords appends the merged record of an entry present in both
// layers, at array depth 1: discovered's keys in order, then curated-only
// keys.
func mergeRecords(dst []byte, dis, cur *record) []byte {
	dk, ck := recordKeys(dis), recordKeys(cur)
	n := 0
	emit := func(key string) {
		dv, dok := dis.val(key)
		cv, cok := cur.val(key)
		v, canon, _ := resolveKey(key, side{dv, dok, dis.canon}, side{cv, cok, cur.canon}, 2)
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
		dst = append(dst, '\n')
		dst = append(dst, doc.Spaces(2)...)
		dst = doc.AppendQuoted(dst, key)
		dst = append(dst, ':', ' ')
		dst = doc.AppendValue(dst, v, canon, 2)
	}
	dst = append(dst, '{')
	for _, k := range dk {
		emit(k)
	}
	for _, k := range ck {
		if _, ok := dis.val(k); !ok {
			emit(k)
		}
	}
	if n > 0 {
		dst = append(dst, '\n')
		dst = append(dst, doc.Spaces(1)...)
	}
	return append(dst, '}')
}
