package openai

import (
	"errors"
	"strings"
	"testing"

	"github.com/imageworks-ai/loader/sdk"
)

func TestDecodeError(t *testing.T) {
	tests := []struct {
		name string
		body string
		want ErrorBody
		ok   bool
	}{
		{"nested vllm", `{"error":{"message":"The model ` + "`foo`" + ` does not exist.","type":"NotFoundError","param":"model","code":404}}`,
			ErrorBody{Message: "The model `foo` does not exist.", Type: "NotFoundError", Code: 404}, true},
		{"flat old vllm", `{"object":"error","message":"gone","type":"NotFoundError","code":404}`,
			ErrorBody{Message: "gone", Type: "NotFoundError", Code: 404}, true},
		{"flat lmdeploy", `{"message":"The model 'foo' does not exist.","type":"not_found_error","code":404,"param":null,"object":"error"}`,
			ErrorBody{Message: "The model 'foo' does not exist.", Type: "not_found_error", Code: 404}, true},
		{"plain", `{"error":"model 'foo' not found"}`, ErrorBody{Message: "model 'foo' not found"}, true},
		{"nested string code", `{"error":{"message":"m","type":"t","code":"model_not_found"}}`, ErrorBody{Message: "m", Type: "t"}, true},
		{"nested null code", `{"error":{"message":"m","type":"invalid_request_error","param":null,"code":null}}`, ErrorBody{Message: "m", Type: "invalid_request_error"}, true},
		{"fastapi detail", `{"detail":"Not Found"}`, ErrorBody{Message: "Not Found"}, true},
		{"fastapi detail list", `{"detail":[{"loc":["body"],"msg":"x"}]}`, ErrorBody{Message: `[{"loc":["body"],"msg":"x"}]`}, true},
		{"empty", ``, ErrorBody{}, false},
		{"not json", `Internal Server Error`, ErrorBody{}, false},
		{"json without message", `{"status":"unhealthy"}`, ErrorBody{}, false},
		{"null error", `{"error":null}`, ErrorBody{}, false},
		{"empty plain", `{"error":""}`, ErrorBody{}, false},
		{"array", `[1,2]`, ErrorBody{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := DecodeError([]byte(tt.body))
			if got != tt.want || ok != tt.ok {
				t.Errorf("DecodeError(%s) = %+v, %v, want %+v, %v", tt.body, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestSentinelFor(t *testing.T) {
	tests := []struct {
		status int
		want   error
	}{
		{200, nil}, {302, nil},
		{400, sdk.ErrBadRequest}, {401, sdk.ErrUnauthorized}, {403, sdk.ErrUnauthorized},
		{404, sdk.ErrModelNotFound}, {408, sdk.ErrUnavailable}, {413, sdk.ErrBadRequest},
		{422, sdk.ErrBadRequest}, {429, sdk.ErrUnavailable}, {500, sdk.ErrBadResponse},
		{502, sdk.ErrUnavailable}, {503, sdk.ErrUnavailable}, {504, sdk.ErrUnavailable},
		{501, sdk.ErrBadResponse},
	}
	for _, tt := range tests {
		if got := SentinelFor(tt.status); got != tt.want {
			t.Errorf("SentinelFor(%d) = %v, want %v", tt.status, got, tt.want)
		}
	}
}

func TestAPIError(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		sentinel error
		contains []string
	}{
		{"404 nested", 404, `{"error":{"message":"The model x does not exist.","type":"NotFoundError","code":404}}`,
			sdk.ErrModelNotFound, []string{"GET http://h/v1/models", "HTTP 404", "NotFoundError", "The model x does not exist."}},
		{"401 plain", 401, `{"error":"Unauthorized"}`, sdk.ErrUnauthorized, []string{"authentication failed", "401", "Unauthorized"}},
		{"500 text", 500, "Internal Server Error\n", sdk.ErrBadResponse, []string{"HTTP 500", "Internal Server Error"}},
		{"503 empty", 503, "", sdk.ErrUnavailable, []string{"HTTP 503", "Service Unavailable"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := error(newAPIError("GET", "http://h/v1/models", tt.status, []byte(tt.body)))
			if !errors.Is(err, tt.sentinel) {
				t.Errorf("newAPIError(%d, %q) = %v, want it to wrap %v", tt.status, tt.body, err, tt.sentinel)
			}
			for _, c := range tt.contains {
				if !strings.Contains(err.Error(), c) {
					t.Errorf("newAPIError(%d, %q).Error() = %q, want it to contain %q", tt.status, tt.body, err, c)
				}
			}
		})
	}
}
