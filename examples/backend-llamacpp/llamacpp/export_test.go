package llamacpp

import "time"

// WithFrozenClock makes latencies zero, so that results compare exactly.
func WithFrozenClock() Option {
	t := time.Unix(1700000000, 0)
	return WithClock(func() time.Time { return t })
}
