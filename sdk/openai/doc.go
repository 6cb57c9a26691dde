// Package openai is the plugin SDK's part for servers that speak the
// OpenAI-compatible HTTP API (vLLM, LMDeploy, llama.cpp's server, TGI,
// Ollama's /v1). Backend is a complete, embeddable backend for such a
// server, configured by options when it is made (NewBackend); the bundled
// vLLM and LMDeploy backends are built on it. The pieces it is made of are
// exported too: the endpoint rules every bundled backend follows, decoding
// of the three error-body shapes such servers send, chat-with-image request
// building, /v1/models listing, and a Client that sends JSON, adds
// "Authorization: Bearer" only when a key is set, and never logs or reports
// the key.
//
// Third-party plugins may import it. It returns errors wrapping the
// sentinels of package sdk, so a backend can pass them on unchanged.
package openai
