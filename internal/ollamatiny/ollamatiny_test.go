package ollamatiny

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

func TestWrite(t *testing.T) {
	var a, b, c bytes.Buffer
	n, err := Write(&a, Options{})
	if err != nil || n != int64(a.Len()) {
		t.Fatalf("Write() = %d, %v; wrote %d bytes", n, err, a.Len())
	}
	if _, err := Write(&b, Options{Seed: 1}); err != nil || !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Errorf("Write twice with seed 1 differs (%v): the blob digest would not be stable", err)
	}
	if _, err := Write(&c, Options{Seed: 2}); err != nil || bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Errorf("Write with seeds 1 and 2 gives the same bytes (%v)", err)
	}
	// GGUF v3 header: magic, version, tensor count, metadata count; then the
	// first key, general.architecture = "llama".
	data := a.Bytes()
	var hdr struct {
		Magic   [4]byte
		Version uint32
		Tensors uint64
		KVs     uint64
	}
	if err := binary.Read(bytes.NewReader(data), binary.LittleEndian, &hdr); err != nil {
		t.Fatal(err)
	}
	if string(hdr.Magic[:]) != "GGUF" || hdr.Version != 3 || hdr.Tensors != 1+9*2+2 || hdr.KVs != 24 {
		t.Errorf("header = %+v, want GGUF v3, 21 tensors, 24 keys", hdr)
	}
	key := "general.architecture"
	rest := data[24:]
	if binary.LittleEndian.Uint64(rest) != uint64(len(key)) || string(rest[8:8+len(key)]) != key {
		t.Errorf("first key = %q, want %q", rest[8:8+len(key)], key)
	}
	if len(data)%align != 0 {
		t.Errorf("size %d is not a multiple of %d", len(data), align)
	}
	if _, err := Write(&bytes.Buffer{}, Options{Embd: 63}); !errors.Is(err, ErrShape) {
		t.Errorf("Write(embd 63) = %v, want ErrShape", err)
	}
}
