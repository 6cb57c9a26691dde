package llamacpp

import (
	"time"

	"github.com/imageworks-ai/loader/sdk/openai"
)

// WithFrozenClock makes latencies zero, so that results compare exactly.
func WithFrozenClock() openai.Option {
	t := time.Unix(1700000000, 0)
	return openai.WithClock(func() time.Time { return t })
}
