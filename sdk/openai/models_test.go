package openai

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/imageworks-ai/loader/sdk"
)

func TestGroupModels(t *testing.T) {
	const body = `{"object":"list","data":[
	 {"id":"qwen-vl","object":"model","owned_by":"vllm","root":"/models/Qwen2.5-VL-7B-Instruct","parent":null,"max_model_len":32768},
	 {"id":"caption","object":"model","owned_by":"vllm","root":"/models/Qwen2.5-VL-7B-Instruct","parent":null,"max_model_len":32768},
	 {"id":"alpha","object":"model","owned_by":"vllm","root":"/models/Qwen2.5-VL-7B-Instruct","parent":null,"max_model_len":32768},
	 {"id":"sql-lora","object":"model","owned_by":"vllm","root":"/adapters/sql","parent":"qwen-vl","max_model_len":null},
	 {"id":"internlm","object":"model","owned_by":"lmdeploy","root":"internlm","parent":null},
	 {"id":"noroot","object":"model"},
	 {"id":"qwen-vl","object":"model","root":"/models/other"}
	]}`
	var l ModelList
	if err := json.Unmarshal([]byte(body), &l); err != nil {
		t.Fatal(err)
	}
	got := GroupModels(l.Data)
	want := []sdk.ServedModel{
		{ID: "internlm", Root: "internlm"},
		{ID: "noroot"},
		{ID: "qwen-vl", Aliases: []string{"alpha", "caption"}, Root: "/models/Qwen2.5-VL-7B-Instruct", ContextLength: 32768},
		{ID: "sql-lora", Root: "/adapters/sql", Parent: "qwen-vl"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("GroupModels() = %+v, want %+v", got, want)
	}
	if ids, w := l.IDs(), []string{"alpha", "caption", "internlm", "noroot", "qwen-vl", "sql-lora"}; !reflect.DeepEqual(ids, w) {
		t.Errorf("IDs() = %q, want %q", ids, w)
	}
}

func TestStatuses(t *testing.T) {
	served := []string{"a", "llava:latest"}
	got := Statuses([]string{"llava:latest", "a", "b"}, served, nil)
	want := []sdk.ModelStatus{{ID: "llava:latest", Served: true}, {ID: "a", Served: true}, {ID: "b", Served: false}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Statuses() = %+v, want %+v", got, want)
	}
	trim := func(s string) string { return s + ":latest" }
	if got := Statuses([]string{"a"}, []string{"a"}, trim); !got[0].Served {
		t.Errorf("Statuses(canon) = %+v, want a served", got)
	}
	if got := Statuses(nil, served, nil); len(got) != 0 {
		t.Errorf("Statuses(nil) = %+v, want empty", got)
	}
}

func TestDataURL(t *testing.T) {
	if got, want := DataURL("image/jpeg", []byte{0xff, 0xd8, 0xff}), "data:image/jpeg;base64,/9j/"; got != want {
		t.Errorf("DataURL() = %q, want %q", got, want)
	}
}
