package sdk_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/imageworks-ai/loader/sdk"
)

// minimal implements the two required calls and nothing else.
type minimal struct{}

func (minimal) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "minimal", Version: "0.1.0", DefaultPort: 9000}, nil
}

func (minimal) Resolve(_ context.Context, req sdk.ResolveRequest) (sdk.Resolution, error) {
	if req.Entry.Name == "" {
		return sdk.Resolution{}, fmt.Errorf("entry has no name: %w", sdk.ErrBadRequest)
	}
	return sdk.Resolution{Endpoint: "http://localhost:9000/v1", InternalModelID: req.Entry.Name}, nil
}

// A plugin's whole main is one line:
//
//	func main() { os.Exit(sdk.Serve(mybackend.New())) }
func ExampleServe() {
	_ = sdk.Serve // see the comment above; Serve takes over the process
}

// withHealth is minimal plus the optional call Health.
type withHealth struct{ minimal }

func (withHealth) Health(_ context.Context, req sdk.HealthRequest) (sdk.HealthStatus, error) {
	return sdk.HealthStatus{Up: true, Models: []sdk.ModelStatus{}}, nil
}

// A backend implements the optional calls it answers, and Serve tells the
// host which they are: no list to keep.
func ExampleImplemented() {
	for _, b := range []sdk.Backend{minimal{}, withHealth{}} {
		info, _ := b.Info(context.Background())
		fmt.Println(info.Name, sdk.Implemented(b, info))
	}
	// Output:
	// minimal []
	// minimal [Health]
}

// A caller holding an sdk.Backend finds an optional call by type assertion.
func ExampleHealthChecker() {
	var b sdk.Backend = minimal{}
	if _, ok := b.(sdk.HealthChecker); !ok {
		fmt.Println("minimal has no health check")
	}
	b = withHealth{}
	if hc, ok := b.(sdk.HealthChecker); ok {
		h, err := hc.Health(context.Background(), sdk.HealthRequest{Endpoint: "http://localhost:9000/v1"})
		fmt.Println(h.Up, err)
	}
	// Output:
	// minimal has no health check
	// true <nil>
}

func ExampleServeDebug() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reattach, done, err := sdk.ServeDebug(ctx, minimal{})
	if err != nil {
		fmt.Println(err)
		return
	}
	// A host started with IMAGEWORKS_REATTACH_BACKENDS=<reattach> uses this
	// process for the backend "minimal".
	fmt.Println(strings.HasPrefix(reattach, `{"minimal":{"Protocol":"grpc","ProtocolVersion":1,`))
	cancel()
	<-done
	// Output: true
}

func ExampleNewLogger() {
	log := sdk.NewLogger() // JSON lines on stderr, as the host expects
	log.Info("model listed", "endpoint", "http://localhost:9000/v1", "models", 3)
}

// A request's API key prints redacted; only Reveal gives the key, for the
// header that sends it.
func ExampleSecret() {
	req := sdk.HealthRequest{Endpoint: "http://gpu:8000/v1", APIKey: "sk-live-123"}
	fmt.Printf("%+v\n", req)
	fmt.Println("Bearer " + req.APIKey.Reveal())
	// Output:
	// {Endpoint:http://gpu:8000/v1 Models:[] APIKey:[redacted]}
	// Bearer sk-live-123
}
