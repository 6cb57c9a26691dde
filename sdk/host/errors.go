package host

import (
	"context"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/internal/pb"
	"github.com/imageworks-ai/loader/sdk/internal/wire"
)

// remoteError is a failure the plugin reported: it reads as the plugin's
// message and wraps the sentinel the plugin's error wrapped.
type remoteError struct {
	msg  string
	kind error // nil when the plugin's error wrapped no sentinel
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.kind }

// sentinel returns the error an error kind stands for, nil for
// ERROR_KIND_UNSPECIFIED and kinds this SDK does not know.
func sentinel(kind pb.ErrorKind) error {
	switch kind {
	case pb.ErrorKind_ERROR_KIND_NOT_IMPLEMENTED:
		return sdk.ErrNotImplemented
	case pb.ErrorKind_ERROR_KIND_MODEL_NOT_FOUND:
		return sdk.ErrModelNotFound
	case pb.ErrorKind_ERROR_KIND_UNAUTHORIZED:
		return sdk.ErrUnauthorized
	case pb.ErrorKind_ERROR_KIND_UNAVAILABLE:
		return sdk.ErrUnavailable
	case pb.ErrorKind_ERROR_KIND_BAD_REQUEST:
		return sdk.ErrBadRequest
	case pb.ErrorKind_ERROR_KIND_BAD_RESPONSE:
		return sdk.ErrBadResponse
	case pb.ErrorKind_ERROR_KIND_CANCELED:
		return context.Canceled
	case pb.ErrorKind_ERROR_KIND_DEADLINE_EXCEEDED:
		return context.DeadlineExceeded
	}
	return nil
}

// fromStatus turns the error of a gRPC call into the error the Backend
// method returns.
func fromStatus(call string, err error) error {
	st, ok := status.FromError(err)
	if !ok {
		return fmt.Errorf("%s: %w: %w", call, ErrTransport, err)
	}
	if d := wire.Detail(st); d != nil {
		msg := d.GetMessage()
		if msg == "" {
			msg = call + ": plugin failed"
		}
		return &remoteError{msg: msg, kind: sentinel(d.GetKind())}
	}
	switch st.Code() {
	case codes.Canceled:
		return fmt.Errorf("%s: %w", call, context.Canceled)
	case codes.DeadlineExceeded:
		return fmt.Errorf("%s: %w", call, context.DeadlineExceeded)
	case codes.Unimplemented:
		// A plugin built for an older protocol that lacks the call.
		return fmt.Errorf("%s: plugin does not know the call: %w", call, sdk.ErrNotImplemented)
	}
	return fmt.Errorf("%s: %w (%s: %s)", call, ErrTransport, st.Code(), st.Message())
}
