package sdk

import (
	"context"
	"time"
)

// Names of the lifecycle calls, as listed in Info.Implements.
const (
	// CallServerCommand is listed by a backend implementing ServerRunner.
	CallServerCommand = "ServerCommand"
	// CallModelLoading is listed by a backend implementing ModelLoader
	// (LoadModel, UnloadModel and LoadedModels).
	CallModelLoading = "ModelLoading"
)

// ServerRunner is implemented by a backend whose server is a process the
// host may run for an entry (vLLM, LMDeploy, llama.cpp). The host finds it
// by type assertion; a backend without it cannot be activated that way.
//
// The host runs the command in its own session, waits for the readiness
// check, and owns the process from then on (it outlives the host by
// design). The backend only describes; it starts nothing.
type ServerRunner interface {
	// ServerCommand describes how to run the server for req.Entry on
	// req.Host:req.Port. It must not touch the network or the file system
	// beyond reading the entry. Errors: an entry that cannot be run (no
	// model path, a flag the host must own given in extra_args) wraps
	// ErrBadRequest.
	ServerCommand(ctx context.Context, req ServerCommandRequest) (ServerCommand, error)
}

// ServerCommandRequest asks how to run a server for an entry.
type ServerCommandRequest struct {
	// Entry is the registry entry to serve.
	Entry Entry
	// Host is the address the server must listen on ("127.0.0.1").
	Host string
	// Port is the port the server must listen on.
	Port int
}

// ServerCommand is how to run a server and how to tell it is ready.
type ServerCommand struct {
	// Argv is the program and its arguments; Argv[0] is looked up in the
	// host's PATH when it has no slash.
	Argv []string
	// Env holds KEY=VALUE pairs added to the host's environment.
	Env []string
	// Dir is the working directory, or "" for the host's.
	Dir string
	// Ready is the check that tells the server is ready.
	Ready ReadyCheck
	// ServedModelID is the id the server will serve the model as.
	ServedModelID string
	// Warnings are short remarks about the command (a flag given twice, a
	// default an extra argument overrides), in order.
	Warnings []string
	// Secrets are credentials the command carries in Argv or Env (a token
	// the backend adds itself, say), which the host must never print or
	// store: it masks them in the server log's command line, in errors and
	// in warnings. The values of secret flags (see IsSecretFlag: --api-key,
	// --api-keys, --hf-token, ...) need not be listed; the host finds them
	// itself. Hosts older than this field ignore it.
	Secrets []Secret
}

// ReadyCheck is an HTTP GET on the server that answers Status once it is
// ready.
type ReadyCheck struct {
	// Path is the URL path asked ("/health").
	Path string
	// Status is the status that means ready; 0 means 200.
	Status int
}

// ModelLoader is implemented by a backend whose server runs without the
// host's help and loads models on request (Ollama). The host finds it by
// type assertion. Activating an entry loads its model and keeps it loaded;
// deactivating unloads it.
type ModelLoader interface {
	// LoadModel loads the entry's model and keeps it loaded until
	// UnloadModel. Errors: an unknown model wraps ErrModelNotFound; an
	// unreachable server wraps ErrUnavailable.
	LoadModel(ctx context.Context, req LoadModelRequest) (LoadedModel, error)
	// UnloadModel unloads the entry's model; unloading a model that is
	// not loaded is not an error.
	UnloadModel(ctx context.Context, req LoadModelRequest) error
	// LoadedModels lists the models the server has loaded, sorted by ID.
	LoadedModels(ctx context.Context, req LoadedModelsRequest) ([]LoadedModel, error)
}

// LoadModelRequest names the model to load or unload.
type LoadModelRequest struct {
	// Entry is the registry entry whose model is meant.
	Entry Entry
	// Endpoint is the server's base URL as Resolve gave it; "" means the
	// entry's.
	Endpoint string
	// APIKey is the key for the server, or empty.
	APIKey Secret
}

// LoadedModelsRequest asks a server what it has loaded.
type LoadedModelsRequest struct {
	// Endpoint is the server's base URL as Resolve gave it.
	Endpoint string
	// APIKey is the key for the server, or empty.
	APIKey Secret
}

// LoadedModel is one model a server has loaded.
type LoadedModel struct {
	// ID is the server's name of the model ("llava:latest").
	ID string
	// SizeBytes is the model's size in memory, 0 when unknown.
	SizeBytes int64
	// VRAMBytes is how much of it is in GPU memory, 0 when unknown.
	VRAMBytes int64
	// ExpiresAt is when the server will unload it; zero when never or
	// unknown.
	ExpiresAt time.Time
}
