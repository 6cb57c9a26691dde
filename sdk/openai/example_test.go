package openai_test

import (
	"fmt"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/openai"
)

func ExampleEndpoint() {
	fmt.Println(openai.Endpoint(sdk.BackendConfig{Port: 24001}, 8000))
	fmt.Println(openai.Endpoint(sdk.BackendConfig{BaseURL: " https://gpu.example/v1/ "}, 8000))
	fmt.Println(openai.Endpoint(sdk.BackendConfig{Host: "http://h.example:9/"}, 8000))
	fmt.Println(openai.Endpoint(sdk.BackendConfig{Host: "imageworks-ollama"}, 11434))
	// Output:
	// http://localhost:24001/v1
	// https://gpu.example/v1
	// http://h.example:9
	// http://imageworks-ollama:11434/v1
}

func ExampleDecodeError() {
	for _, body := range []string{
		`{"error":{"message":"The model x does not exist.","type":"NotFoundError","code":404}}`,
		`{"message":"The model 'x' does not exist.","type":"not_found_error","code":404,"object":"error"}`,
		`{"error":"model 'x' not found"}`,
	} {
		e, _ := openai.DecodeError([]byte(body))
		fmt.Printf("%q %q %d\n", e.Message, e.Type, e.Code)
	}
	// Output:
	// "The model x does not exist." "NotFoundError" 404
	// "The model 'x' does not exist." "not_found_error" 404
	// "model 'x' not found" "" 0
}

func ExampleNewImageChat() {
	req := openai.NewImageChat("qwen-vl", "What colour?", "image/png", []byte{0x89, 'P', 'N', 'G'})
	fmt.Println(req.Model, req.Messages[0].Content[1].ImageURL.URL)
	// Output: qwen-vl data:image/png;base64,iVBORw==
}
