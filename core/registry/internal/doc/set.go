package doc

// Set returns rec, an object that is an element of a top-level array (its
// own line at indentation 1), with the valid JSON value val set at path.
// An existing member keeps its position and the bytes around it; a new one
// is appended last; missing intermediate objects are created and a member
// on the way that is not an object is replaced. The new bytes are in the
// reference layout. rec itself is not modified.
func Set(rec []byte, path []string, val []byte) []byte { return setPath(rec, 1, path, val) }

// memberSpan is an object member: its key and the value's byte span.
type memberSpan struct {
	key    string
	vs, ve int
}

// memberSpans locates the members of a valid object.
func memberSpans(obj []byte) []memberSpan {
	var out []memberSpan
	i := skipSpace(obj, 1)
	if i >= len(obj) || obj[i] == '}' {
		return nil
	}
	for {
		ke := skipValue(obj, i)
		key := unquote(obj[i:ke])
		i = skipSpace(obj, ke) + 1
		i = skipSpace(obj, i)
		ve := skipValue(obj, i)
		out = append(out, memberSpan{key, i, ve})
		i = skipSpace(obj, ve)
		if i >= len(obj) || obj[i] != ',' {
			return out
		}
		i = skipSpace(obj, i+1)
	}
}

// setPath returns obj (an object whose own line has indentation ind) with
// the value val set at path.
func setPath(obj []byte, ind int, path []string, val []byte) []byte {
	ms := memberSpans(obj)
	found := -1
	for i, m := range ms {
		if m.key == path[0] {
			found = i
		}
	}
	var nv []byte
	if found >= 0 {
		m := ms[found]
		old := obj[m.vs:m.ve]
		switch {
		case len(path) == 1:
			nv = Reformat(nil, val, ind+1)
		case isObject(old):
			nv = setPath(old, ind+1, path[1:], val)
		default:
			nv = Reformat(nil, nest(path[1:], val), ind+1)
		}
		out := make([]byte, 0, len(obj)+len(nv))
		out = append(out, obj[:m.vs]...)
		out = append(out, nv...)
		return append(out, obj[m.ve:]...)
	}
	if len(path) == 1 {
		nv = Reformat(nil, val, ind+1)
	} else {
		nv = Reformat(nil, nest(path[1:], val), ind+1)
	}
	mem := []byte("\n" + spaces(ind+1))
	mem = appendQuoted(mem, path[0])
	mem = append(mem, ':', ' ')
	mem = append(mem, nv...)
	out := make([]byte, 0, len(obj)+len(mem)+8)
	if len(ms) == 0 {
		out = append(out, '{')
		out = append(out, mem...)
		out = append(out, '\n')
		out = append(out, spaces(ind)...)
		return append(out, '}')
	}
	end := ms[len(ms)-1].ve
	out = append(out, obj[:end]...)
	out = append(out, ',')
	out = append(out, mem...)
	return append(out, obj[end:]...)
}

// nest wraps val in objects along path.
func nest(path []string, val []byte) []byte {
	var out []byte
	for _, k := range path {
		out = append(out, '{')
		out = appendQuoted(out, k)
		out = append(out, ':')
	}
	out = append(out, val...)
	for range path {
		out = append(out, '}')
	}
	return out
}
