package doc

import (
	"iter"
	"strconv"
)

// Value is one JSON value as the bytes it was read with (a view into its
// document; do not modify), from a document the scanner validated or a
// value Encode wrote. The zero Value is a value that is not there: a
// missing member reads as it, and every reader gives its zero result for
// it.
type Value []byte

// Kind is a JSON value's type.
type Kind uint8

// The kinds of a Value.
const (
	Missing Kind = iota // the zero Value: no value
	Null
	Bool
	Integer // a number without fraction or exponent
	Float   // any other number, Python's NaN and infinities included
	String
	List // a JSON array
	Object
)

// Kind returns the value's type.
func (v Value) Kind() Kind {
	if len(v) == 0 {
		return Missing
	}
	switch v[0] {
	case '{':
		return Object
	case '[':
		return List
	case '"':
		return String
	case 'n':
		return Null
	case 't', 'f':
		return Bool
	}
	if isInteger(v) {
		return Integer
	}
	return Float
}

// Get returns the value at a key path: each key names a member of the
// object reached so far (the last member of that name). It is the zero
// Value when a member is missing or a value on the way is not an object.
func (v Value) Get(path ...string) Value {
	for _, k := range path {
		m, ok := member(v, k)
		if !ok {
			return nil
		}
		v = m
	}
	return v
}

// Str decodes a string; any other value gives "".
func (v Value) Str() string {
	if isString(v) {
		return unquote(v)
	}
	return ""
}

// Bool reports the value true; any other value gives false.
func (v Value) Bool() bool { return string(v) == "true" }

// Int decodes an integral number (12 or 12.0); any other value gives 0.
func (v Value) Int() int { return intOf(v) }

// Float decodes a number (NaN and infinities included); false for any
// other value.
func (v Value) Float() (float64, bool) {
	if !isNumber(v) {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(v), 64)
	return f, err == nil
}

// Strs decodes a list's string elements, skipping the others; nil for
// anything that is not a list.
func (v Value) Strs() []string { return strList(v) }

// Elems yields a list's elements in order; nothing for anything that is
// not a list.
func (v Value) Elems() iter.Seq[Value] {
	return func(yield func(Value) bool) {
		if isArray(v) {
			eachElem(v, func(e []byte) bool { return yield(e) })
		}
	}
}

// Members yields an object's members in order with their decoded keys (a
// repeated key is yielded each time); nothing for anything that is not an
// object.
func (v Value) Members() iter.Seq2[string, Value] {
	return func(yield func(string, Value) bool) {
		if isObject(v) {
			eachMember(v, func(k, m []byte) bool { return yield(unquote(k), m) })
		}
	}
}

// Equal reports whether v and w are equal as values: object key order and
// whitespace aside, numbers compared by value, two missing values equal.
func (v Value) Equal(w Value) bool {
	if len(v) == 0 || len(w) == 0 {
		return len(v) == len(w)
	}
	return equal(v, w)
}
