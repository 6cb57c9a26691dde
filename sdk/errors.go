package sdk

import (
	"errors"
	"fmt"
)

// Sentinel errors a backend returns (wrapped) so that the host can tell
// failures apart. They survive the trip through the plugin protocol: the host
// side of a call returns an error that errors.Is matches against the same
// sentinel.
var (
	// ErrNotImplemented: the backend does not implement the call.
	ErrNotImplemented = errors.New("not implemented")
	// ErrModelNotFound: the server does not serve the requested model.
	ErrModelNotFound = errors.New("model not found")
	// ErrUnauthorized: the server refused the API key (or wanted one).
	ErrUnauthorized = errors.New("unauthorized")
	// ErrUnavailable: the server could not be reached or is not healthy.
	ErrUnavailable = errors.New("server unavailable")
	// ErrBadRequest: the request was invalid (bad entry, bad image, ...).
	ErrBadRequest = errors.New("bad request")
	// ErrBadResponse: the server answered with something unexpected.
	ErrBadResponse = errors.New("bad response from server")
)

func notImplemented(call string) error {
	return fmt.Errorf("%s: %w", call, ErrNotImplemented)
}
