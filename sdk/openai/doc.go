// Package openai holds helpers for backends whose server speaks the
// OpenAI-compatible HTTP API (vLLM, LMDeploy, llama.cpp's server, Ollama's
// /v1): the endpoint rules every bundled backend follows, decoding of the
// three error-body shapes such servers send, chat-with-image request
// building, /v1/models listing, and an HTTP client that sends JSON, adds
// "Authorization: Bearer" only when a key is set, and never logs or reports
// the key.
//
// It is part of the plugin SDK: third-party plugins may import it. It
// returns errors wrapping the sentinels of package sdk, so a backend can
// pass them on unchanged.
package openai
