package wire

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/imageworks-ai/loader/sdk/internal/pb"
)

func TestStatusDetail(t *testing.T) {
	seen := map[codes.Code]pb.ErrorKind{}
	for k := range pb.ErrorKind_name {
		kind := pb.ErrorKind(k)
		st := Status(kind, "m")
		d := Detail(st)
		if d == nil || d.GetKind() != kind || d.GetMessage() != "m" || st.Code() != Code(kind) {
			t.Errorf("Detail(Status(%v)) = %v, code %v, want the kind and message back", kind, d, st.Code())
		}
		// Only the unspecified kind may share a code; the others must be
		// told apart by a host that ignores details too.
		if other, ok := seen[st.Code()]; ok && kind != pb.ErrorKind_ERROR_KIND_UNSPECIFIED && other != pb.ErrorKind_ERROR_KIND_UNSPECIFIED {
			t.Errorf("kinds %v and %v share code %v", kind, other, st.Code())
		}
		seen[st.Code()] = kind
		if st.Code() == codes.Unavailable {
			t.Errorf("kind %v travels as Unavailable, which gRPC uses for a dead connection", kind)
		}
	}
	if Detail(status.New(codes.Unavailable, "eof")) != nil {
		t.Error("Detail(transport status) != nil, want nil")
	}
}
