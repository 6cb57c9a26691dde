// Package gateway is one OpenAI-compatible address for every model in the
// registry: a drop-in for the earlier Python project's chat proxy.
//
// A request's "model" names an entry (its logical name, its display id, a
// unique alias, or role:ROLE for the entry a role selects). The gateway
// makes the entry's server ready — starting it through core's lifecycle
// (ServerCommand for vLLM and LMDeploy, LoadModel for Ollama), swapping out
// the entry that holds the same port — and forwards the body with only
// "model" rewritten to the id the server serves. Answers and SSE streams
// pass through as they come, flushed per chunk.
//
// # Slots
//
// Entries of one backend_config.port share a slot: one of them runs at a
// time, and a request for another waits until the slot's requests in
// flight have finished, then the slot swaps. Entries of different ports run
// side by side. An entry its backend loads (Ollama) has a slot of its own.
// Requests that wait longer than Options.QueueWait get a 503 with
// Retry-After. A slot idle for its TTL is stopped; a pinned entry is
// started at once and never swapped out or stopped while the gateway runs.
// A server that was already up (started by `activate` or by hand), or a
// model its server (Ollama) had already loaded, is used as it is: never
// stopped or unloaded by the gateway. What the gateway started or loaded
// is stopped (unloaded) when idle for its TTL and by Close.
//
// # Gates
//
// Before anything starts: an image sent to an entry without vision, or
// whose last vision probe failed, is refused (409); a locked entry is
// verified before its server starts (the result reused while the model
// folder's file stamps stay the same), and a violation is refused (409)
// naming the changed files, leaving the server on that port running.
//
// # Measured
//
// Every proxied request's time to first token (the first streamed chunk,
// or the whole answer) and tokens per second (from usage, else counted
// chunks) go to Prometheus histograms and, in batches, to the entry's
// performance block in the discovered layer.
package gateway
