package registry

import (
	"encoding/json"
	"testing"
	"time"
)

type inner struct{ B []byte }

type stored struct {
	LatencyMS float64            `json:"latency_ms"`
	When      time.Time          `json:"when"`
	Skip      string             `json:"-"`
	Empty     string             `json:"empty,omitempty"`
	Ptr       *inner             `json:",omitempty"`
	Nil       *inner             `json:"nil,omitempty"`
	M         map[string]float64 `json:"m"`
	Arr       [2]int             `json:"arr"`
	private   int
}

type withEmbedded struct {
	inner
	X int
}

type withString struct {
	N int `json:",string"`
}

func TestEncodeValue(t *testing.T) {
	type probe struct {
		OK    bool     `json:"vision_ok"`
		Notes []string `json:"notes"`
		HTML  string   `json:"html"`
	}
	tests := []struct {
		in   any
		want string
	}{
		{nil, "null"}, {true, "true"}, {"s", `"s"`}, {42, "42"}, {int64(-7), "-7"}, {uint(3), "3"},
		{0.5, "0.5"}, {3.0, "3.0"}, {json.Number("1e3"), "1e3"},
		{[]string{"a", "b"}, `["a","b"]`}, {[]string(nil), "null"}, {[]any{1, "x", nil}, `[1,"x",null]`},
		{map[string]any{"b": 1, "a": []any{}}, `{"a":[],"b":1}`},
		{json.RawMessage(` { "k" : [ 1 , "\u00e9" ] } `), `{"k":[1,"é"]}`},
		{probe{true, []string{}, "<&>"}, `{"vision_ok":true,"notes":[],"html":"<&>"}`},
		{(*probe)(nil), "null"},
		{stored{LatencyMS: 12, When: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), Ptr: &inner{[]byte("hi")}, M: map[string]float64{"b": 1, "a": 0.5}, Skip: "x", private: 7},
			`{"latency_ms":12.0,"when":"2025-01-02T03:04:05Z","Ptr":{"B":"aGk="},"m":{"a":0.5,"b":1.0},"arr":[0,0]}`},
		{withEmbedded{inner{nil}, 1}, `{"B":null,"X":1}`},
		{map[int]string{2: "b", 1: "a"}, `{"1":"a","2":"b"}`},
		{withString{N: 5}, `{"N":"5"}`},
	}
	for _, tt := range tests {
		got, err := encodeValue(tt.in)
		if err != nil || string(got) != tt.want {
			t.Errorf("encodeValue(%#v) = %s, %v, want %s", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []any{json.RawMessage(`{`), json.Number("x"), make(chan int)} {
		if _, err := encodeValue(bad); err == nil {
			t.Errorf("encodeValue(%#v) = nil error, want ErrInvalidEdit", bad)
		}
	}
}
