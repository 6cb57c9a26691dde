package wire

import (
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/imageworks-ai/loader/sdk/internal/pb"
)

// Code returns the gRPC status code a failure of kind k travels with.
func Code(k pb.ErrorKind) codes.Code {
	switch k {
	case pb.ErrorKind_ERROR_KIND_NOT_IMPLEMENTED:
		return codes.Unimplemented
	case pb.ErrorKind_ERROR_KIND_MODEL_NOT_FOUND:
		return codes.NotFound
	case pb.ErrorKind_ERROR_KIND_UNAUTHORIZED:
		return codes.Unauthenticated
	case pb.ErrorKind_ERROR_KIND_UNAVAILABLE:
		// Not codes.Unavailable: that one means the plugin itself is gone.
		return codes.FailedPrecondition
	case pb.ErrorKind_ERROR_KIND_BAD_REQUEST:
		return codes.InvalidArgument
	case pb.ErrorKind_ERROR_KIND_BAD_RESPONSE:
		return codes.Aborted
	case pb.ErrorKind_ERROR_KIND_CANCELED:
		return codes.Canceled
	case pb.ErrorKind_ERROR_KIND_DEADLINE_EXCEEDED:
		return codes.DeadlineExceeded
	default:
		return codes.Unknown
	}
}

// Status returns the status of a plugin failure of kind k with message msg,
// carrying an ErrorDetail.
func Status(k pb.ErrorKind, msg string) *status.Status {
	st := status.New(Code(k), msg)
	if withDetail, err := st.WithDetails(&pb.ErrorDetail{Kind: k, Message: msg}); err == nil {
		return withDetail
	}
	return st
}

// PanicStatus returns the status of a call that failed because the
// plugin's code panicked: kind unspecified, message msg, and an ErrorDetail
// marked panicked.
func PanicStatus(msg string) *status.Status {
	st := status.New(Code(pb.ErrorKind_ERROR_KIND_UNSPECIFIED), msg)
	if withDetail, err := st.WithDetails(&pb.ErrorDetail{Message: msg, Panicked: true}); err == nil {
		return withDetail
	}
	return st
}

// Detail returns the ErrorDetail a status carries, or nil when it carries
// none (the failure came from the transport, not the plugin).
func Detail(st *status.Status) *pb.ErrorDetail {
	for _, d := range st.Details() {
		if ed, ok := d.(*pb.ErrorDetail); ok {
			return ed
		}
	}
	return nil
}
