// Package ollamatiny writes a tiny llama-architecture GGUF model (F32
// random weights, a byte-level BPE vocabulary) that a real Ollama loads and
// answers with (gibberish), for the opt-in real-server test (make
// test-ollama). The output is deterministic for given Options, so the
// model's blob digest is stable.
package ollamatiny

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand"
)

// Options shape the model. The zero value of a field means its default.
type Options struct {
	Layers  int   // transformer blocks (2)
	Embd    int   // embedding length (64)
	FF      int   // feed-forward length (128)
	Heads   int   // attention heads (4)
	KVHeads int   // key/value heads (2)
	Context int   // context length (512)
	Seed    int64 // random seed (1)
}

func (o Options) withDefaults() Options {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.Layers, 2)
	def(&o.Embd, 64)
	def(&o.FF, 128)
	def(&o.Heads, 4)
	def(&o.KVHeads, 2)
	def(&o.Context, 512)
	if o.Seed == 0 {
		o.Seed = 1
	}
	return o
}

// GGUF value types and the tensor data alignment.
const (
	tUint32  = 4
	tInt32   = 5
	tFloat32 = 6
	tBool    = 7
	tString  = 8
	tArray   = 9
	align    = 32
)

type kv struct {
	key string
	val any
}

type tensor struct {
	name string
	dims []uint64 // ne0 first
	data []float32
}

// writer counts what it writes (for alignment) and keeps the first error.
type writer struct {
	b   *bufio.Writer
	n   int64
	err error
}

func (x *writer) raw(v any) {
	if x.err != nil {
		return
	}
	x.err = binary.Write(x.b, binary.LittleEndian, v)
	x.n += int64(binary.Size(v))
}

func (x *writer) str(s string) { x.raw(uint64(len(s))); x.bytes([]byte(s)) }

func (x *writer) bytes(p []byte) {
	if x.err != nil {
		return
	}
	_, x.err = x.b.Write(p)
	x.n += int64(len(p))
}

func (x *writer) pad() {
	if r := x.n % align; r != 0 {
		x.bytes(make([]byte, align-r))
	}
}

func (x *writer) value(v any) {
	switch t := v.(type) {
	case string:
		x.raw(uint32(tString))
		x.str(t)
	case uint32:
		x.raw(uint32(tUint32))
		x.raw(t)
	case float32:
		x.raw(uint32(tFloat32))
		x.raw(t)
	case bool:
		x.raw(uint32(tBool))
		var b uint8
		if t {
			b = 1
		}
		x.raw(b)
	case []string:
		x.raw(uint32(tArray))
		x.raw(uint32(tString))
		x.raw(uint64(len(t)))
		for _, s := range t {
			x.str(s)
		}
	case []int32:
		x.raw(uint32(tArray))
		x.raw(uint32(tInt32))
		x.raw(uint64(len(t)))
		x.raw(t)
	default:
		x.err = fmt.Errorf("ollamatiny: unsupported metadata type %T", v)
	}
}

// bytesToUnicode is GPT-2's byte-level mapping.
func bytesToUnicode() []rune {
	var bs []int
	for b := '!'; b <= '~'; b++ {
		bs = append(bs, int(b))
	}
	for b := 0xA1; b <= 0xAC; b++ {
		bs = append(bs, b)
	}
	for b := 0xAE; b <= 0xFF; b++ {
		bs = append(bs, b)
	}
	in := map[int]bool{}
	for _, b := range bs {
		in[b] = true
	}
	out := make([]rune, 256)
	for _, b := range bs {
		out[b] = rune(b)
	}
	n := 0
	for b := range 256 {
		if !in[b] {
			out[b] = rune(256 + n)
			n++
		}
	}
	return out
}

// vocabulary returns 256 byte tokens, a few merges and two control tokens
// (begin and end of text), with their types and the merges.
func vocabulary() (tokens []string, types []int32, merges []string, bos, eos uint32) {
	b2u := bytesToUnicode()
	for b := range 256 {
		tokens = append(tokens, string(b2u[b]))
		types = append(types, 1)
	}
	sp := string(b2u[' '])
	merges = []string{sp + " t", "h e", sp + "t he", "i n", sp + " a", "e r", "o n", sp + " s"}
	for _, m := range []string{sp + "t", "he", sp + "the", "in", sp + "a", "er", "on", sp + "s"} {
		tokens = append(tokens, m)
		types = append(types, 1)
	}
	bos = uint32(len(tokens))
	tokens = append(tokens, "<|begin_of_text|>")
	types = append(types, 3)
	eos = uint32(len(tokens))
	tokens = append(tokens, "<|end_of_text|>")
	types = append(types, 3)
	return tokens, types, merges, bos, eos
}

// ErrShape: the embedding length does not divide by the heads, or the heads
// by the key/value heads.
var ErrShape = errors.New("ollamatiny: embd must divide by heads, heads by kv heads")

// Write writes the model as GGUF v3 to w and returns the bytes written.
// Errors: ErrShape for inconsistent Options, else w's.
func Write(w io.Writer, opts Options) (int64, error) {
	o := opts.withDefaults()
	if o.Embd%o.Heads != 0 || o.Heads%o.KVHeads != 0 {
		return 0, ErrShape
	}
	headDim := o.Embd / o.Heads
	tokens, types, merges, bos, eos := vocabulary()
	nv := len(tokens)

	rng := rand.New(rand.NewSource(o.Seed))
	randT := func(name string, dims ...int) tensor {
		n := 1
		d := make([]uint64, len(dims))
		for i, v := range dims {
			n *= v
			d[i] = uint64(v)
		}
		data := make([]float32, n)
		scale := float32(1 / math.Sqrt(float64(dims[0])))
		for i := range data {
			data[i] = (rng.Float32()*2 - 1) * scale
		}
		return tensor{name, d, data}
	}
	ones := func(name string, n int) tensor {
		data := make([]float32, n)
		for i := range data {
			data[i] = 1
		}
		return tensor{name, []uint64{uint64(n)}, data}
	}
	E, F, KV := o.Embd, o.FF, o.KVHeads*headDim
	ts := []tensor{randT("token_embd.weight", E, nv)}
	for l := range o.Layers {
		p := fmt.Sprintf("blk.%d.", l)
		ts = append(ts,
			ones(p+"attn_norm.weight", E),
			randT(p+"attn_q.weight", E, E),
			randT(p+"attn_k.weight", E, KV),
			randT(p+"attn_v.weight", E, KV),
			randT(p+"attn_output.weight", E, E),
			ones(p+"ffn_norm.weight", E),
			randT(p+"ffn_gate.weight", E, F),
			randT(p+"ffn_up.weight", E, F),
			randT(p+"ffn_down.weight", F, E),
		)
	}
	ts = append(ts, ones("output_norm.weight", E), randT("output.weight", E, nv))

	kvs := []kv{
		{"general.architecture", "llama"},
		{"general.name", "tiny-random-llama"},
		{"general.file_type", uint32(0)},
		{"general.alignment", uint32(align)},
		{"llama.block_count", uint32(o.Layers)},
		{"llama.context_length", uint32(o.Context)},
		{"llama.embedding_length", uint32(E)},
		{"llama.feed_forward_length", uint32(F)},
		{"llama.attention.head_count", uint32(o.Heads)},
		{"llama.attention.head_count_kv", uint32(o.KVHeads)},
		{"llama.attention.key_length", uint32(headDim)},
		{"llama.attention.value_length", uint32(headDim)},
		{"llama.attention.layer_norm_rms_epsilon", float32(1e-5)},
		{"llama.rope.dimension_count", uint32(headDim)},
		{"llama.rope.freq_base", float32(10000)},
		{"llama.vocab_size", uint32(nv)},
		{"tokenizer.ggml.model", "gpt2"},
		{"tokenizer.ggml.pre", "default"},
		{"tokenizer.ggml.tokens", tokens},
		{"tokenizer.ggml.token_type", types},
		{"tokenizer.ggml.merges", merges},
		{"tokenizer.ggml.bos_token_id", bos},
		{"tokenizer.ggml.eos_token_id", eos},
		{"tokenizer.ggml.add_bos_token", true},
	}

	x := &writer{b: bufio.NewWriterSize(w, 1<<20)}
	x.bytes([]byte("GGUF"))
	x.raw(uint32(3))
	x.raw(uint64(len(ts)))
	x.raw(uint64(len(kvs)))
	for _, k := range kvs {
		x.str(k.key)
		x.value(k.val)
	}
	var off uint64
	for _, t := range ts {
		x.str(t.name)
		x.raw(uint32(len(t.dims)))
		x.raw(t.dims)
		x.raw(uint32(0)) // F32
		x.raw(off)
		sz := uint64(len(t.data) * 4)
		off += (sz + align - 1) / align * align
	}
	x.pad()
	for _, t := range ts {
		x.raw(t.data)
		x.pad()
	}
	if x.err == nil {
		x.err = x.b.Flush()
	}
	return x.n, x.err
}
