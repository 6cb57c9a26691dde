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
// method returns. answered reports whether the plugin sent the status
// itself (replyMD.answered), as opposed to the client
// making it up because the connection failed; cancelled whether the
// caller's context had ended.
func fromStatus(call string, err error, answered, cancelled bool) error {
	st, ok := status.FromError(err)
	if !ok {
		return fmt.Errorf("%s: %w: %w", call, ErrTransport, err)
	}
	if d := wire.Detail(st); d != nil {
		msg := d.GetMessage()
		if msg == "" {
			msg = call + ": plugin failed"
		}
		kind := sentinel(d.GetKind())
		if d.GetPanicked() {
			kind = ErrPanicked
		}
		return &remoteError{msg: msg, kind: kind}
	}
	switch st.Code() {
	case codes.Canceled:
		if !answered && !cancelled {
			// Not the caller's cancellation: the client connection was
			// closed under the call (go-plugin's Kill of a plugin that
			// died; gRPC says "the client connection is closing").
			return fmt.Errorf("%s: %w (%s: %s)", call, ErrTransport, st.Code(), st.Message())
		}
		return fmt.Errorf("%s: %w", call, context.Canceled)
	case codes.DeadlineExceeded:
		return fmt.Errorf("%s: %w", call, context.DeadlineExceeded)
	case codes.Unimplemented:
		// A plugin built for an older protocol that lacks the call, or
		// one in another language that answers with the code alone.
		return plainError(call, st, sdk.ErrNotImplemented)
	}
	if answered {
		// A plugin (in any language) that sent a status without an
		// ErrorDetail: its code says the kind.
		return plainError(call, st, codeSentinel(st.Code()))
	}
	return fmt.Errorf("%s: %w (%s: %s)", call, ErrTransport, st.Code(), st.Message())
}

// plainError is the error of a status without an ErrorDetail: the plugin's
// message (or one naming the call and code when it sent none), wrapping
// kind.
func plainError(call string, st *status.Status, kind error) error {
	msg := st.Message()
	if msg == "" {
		msg = fmt.Sprintf("%s: plugin failed (%s)", call, st.Code())
	}
	return &remoteError{msg: msg, kind: kind}
}

// codeSentinel returns the sdk error nearest to a gRPC code a plugin sent
// without an ErrorDetail: the code each kind travels with (wire.Code) and
// the codes next to it. It returns nil for UNKNOWN, INTERNAL and the rest,
// which name no kind of failure.
func codeSentinel(c codes.Code) error {
	switch c {
	case codes.NotFound:
		return sdk.ErrModelNotFound
	case codes.Unauthenticated, codes.PermissionDenied:
		return sdk.ErrUnauthorized
	case codes.FailedPrecondition, codes.Unavailable, codes.ResourceExhausted:
		return sdk.ErrUnavailable
	case codes.InvalidArgument, codes.OutOfRange:
		return sdk.ErrBadRequest
	case codes.Aborted, codes.DataLoss:
		return sdk.ErrBadResponse
	}
	return nil
}
