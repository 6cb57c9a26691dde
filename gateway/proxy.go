package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Headers every proxied answer carries.
const (
	HeaderModel     = "X-Imageworks-Model"
	HeaderBackend   = "X-Imageworks-Backend"
	HeaderServed    = "X-Imageworks-Served-Model"
	HeaderAggregate = "X-Imageworks-Aggregate-SHA256"
	// HeaderHost names the fleet host whose server answered, on answers
	// forwarded to another host (see docs/fleet.md).
	HeaderHost = "X-Imageworks-Host"
)

// bodyTimeout bounds reading a request body.
const bodyTimeout = 2 * time.Minute

func defaultTransport() http.RoundTripper {
	return &http.Transport{
		Proxy:                 nil, // model servers are local or named; never through a proxy
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: 0, // a non-streamed answer of a large model takes minutes
		ExpectContinueTimeout: time.Second,
	}
}

// proxy serves the OpenAI routes: read the body, find the entry, apply
// the gates, make its server ready, forward with "model" rewritten.
func (g *Gateway) proxy(w http.ResponseWriter, r *http.Request) {
	// The body must come within bodyTimeout; the answer may stream for as
	// long as it takes.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(g.opts.Now().Add(bodyTimeout))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, g.opts.MaxBody))
	_ = rc.SetReadDeadline(time.Time{})
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			writeError(w, refuse(413, errPayloadTooLarge, fmt.Sprintf("Request body exceeds limit %d bytes", g.opts.MaxBody)))
			return
		}
		writeError(w, refuse(400, errBadRequest, "Reading the request body failed: "+err.Error()))
		return
	}
	var req request
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, refuse(400, errBadRequest, "The request body is not a JSON object: "+err.Error()))
		return
	}
	rt, err := g.lookup(r.Context(), req.Model)
	if err != nil {
		rem, refusal := g.remoteRoute(r.Context(), req.Model, req.Messages)
		switch {
		case rem != nil:
			g.forwardRemote(w, r, body, req.Messages, rem)
			return
		case refusal != nil:
			g.metrics.refusal(req.Model, refusal.Type)
			writeError(w, refusal)
			return
		}
		g.metrics.refusal(req.Model, "not_found")
		writeError(w, asAPIError(err))
		return
	}
	setHeaders(w.Header(), rt, "")
	if e := g.visionGate(rt, req.Messages); e != nil {
		g.metrics.refusal(rt.Name, e.Type)
		writeError(w, e)
		return
	}
	waitStart := g.opts.Now()
	ls, err := g.ready(r.Context(), rt)
	g.metrics.queueWait(rt.Name, g.opts.Now().Sub(waitStart))
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return // the client went away
		}
		e := asAPIError(err)
		switch e.Type {
		case errSlotPinned, errQueueFull, errShuttingDown: // the slot's own (starts count theirs)
			g.metrics.refusal(rt.Name, e.Type)
		}
		writeError(w, e)
		return
	}
	defer func() { ls.release(g.opts.Now()) }()
	setHeaders(w.Header(), rt, ls.run.served)
	meter := &meter{g: g, name: rt.Name, stream: req.Stream, began: g.opts.Now()}
	g.forward(w, r, body, rt.Name, ls.run.served, ls.run.endpoint, meter)
}

// forward sends body, its "model" set to served, to the server at
// endpoint and copies the answer back; meter, when set, measures it.
func (g *Gateway) forward(w http.ResponseWriter, r *http.Request, body []byte, name, served, endpoint string, meter *meter) {
	out, err := rewriteModel(body, served)
	if err != nil {
		writeError(w, refuse(400, errBadRequest, "The request body is not a JSON object: "+err.Error()))
		return
	}
	target, err := url.Parse(strings.TrimSuffix(endpoint, "/"))
	if err != nil {
		writeError(w, refuse(424, errBackendUnavailable, fmt.Sprintf("Backend unavailable for '%s'", name)))
		return
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme, pr.Out.URL.Host = target.Scheme, target.Host
			pr.Out.URL.Path = target.Path + strings.TrimPrefix(pr.In.URL.Path, "/v1")
			pr.Out.URL.RawPath = ""
			pr.Out.Host = target.Host
			pr.Out.Body = io.NopCloser(bytes.NewReader(out))
			pr.Out.ContentLength = int64(len(out))
			pr.Out.Header.Set("Content-Length", strconv.Itoa(len(out)))
			pr.Out.Header.Del("Authorization") // the gateway's token is not the server's
			if u := target.User; u != nil {
				pr.Out.URL.User = u
			}
		},
		Transport: g.opts.Transport,
		// 0, not -1: ReverseProxy flushes every write of an answer that
		// is text/event-stream or has no Content-Length (every stream)
		// by itself. -1 would also flush a whole answer of known length
		// write by write, after flushing its headers alone from a timer
		// goroutine: two writes to the client, not one.
		FlushInterval: 0,
		BufferPool:    g.buffers,
		ModifyResponse: func(resp *http.Response) error {
			// The headers are on w already (refusals carry them too);
			// the proxy adds the server's to them, so a server's own
			// would repeat or contradict them.
			for _, h := range []string{HeaderModel, HeaderBackend, HeaderServed, HeaderAggregate, HeaderHost} {
				resp.Header.Del(h)
			}
			if resp.StatusCode < 300 && meter != nil {
				resp.Body = meter.wrap(resp.Body)
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if r.Context().Err() != nil {
				return // the client went away; the upstream request was cancelled with it
			}
			g.log.Warn("forwarding failed", "model", name, "endpoint", endpoint, "error", err)
			e := refuse(424, errBackendUnavailable, fmt.Sprintf("Backend unavailable for '%s'", name))
			e.Hint = oneLine(err)
			writeError(w, e)
		},
	}
	rp.ServeHTTP(w, r)
}

// setHeaders names the entry, its backend, the served id and its verified
// aggregate on an answer.
func setHeaders(h http.Header, rt *route, served string) {
	h.Set(HeaderModel, rt.Name)
	h.Set(HeaderBackend, rt.Backend)
	if served != "" {
		h.Set(HeaderServed, served)
	}
	if rt.AggregateSHA256 != "" {
		h.Set(HeaderAggregate, rt.AggregateSHA256)
	}
}

// visionGate refuses image content for an entry that cannot see, or whose
// last vision probe failed, and images over the limit.
func (g *Gateway) visionGate(rt *route, messages json.RawMessage) *apiError {
	found, size := images(messages)
	switch {
	case !found:
		return nil
	case size > g.opts.MaxImageBytes:
		return refuse(413, errPayloadTooLarge, fmt.Sprintf("Image payload exceeds limit %d bytes", g.opts.MaxImageBytes))
	case !rt.Capabilities["vision"]:
		return refuse(409, errCapabilityMismatch, fmt.Sprintf("Model '%s' does not support vision/image content", rt.Name))
	case rt.VisionProbe != nil && !rt.VisionProbe.VisionOK:
		e := refuse(409, errVisionProbeFailed, fmt.Sprintf("Model '%s' failed its last vision probe (%s): it does not really see images", rt.Name, rt.VisionProbe.Timestamp))
		e.Hint = "run probe-vision " + rt.Name + " after fixing the model or its server"
		return e
	}
	return nil
}

func asAPIError(err error) *apiError {
	var e *apiError
	if errors.As(err, &e) {
		return e
	}
	return refuse(500, "internal_error", oneLine(err))
}

// proxyBufSize is the size of the buffers answers are copied through,
// ReverseProxy's own.
const proxyBufSize = 32 << 10

// bufferPool lends the buffers answers are copied through, so a request
// does not allocate (and the collector clear) 32 KiB of its own.
type bufferPool struct{ p sync.Pool }

func newBufferPool() *bufferPool {
	return &bufferPool{p: sync.Pool{New: func() any { return make([]byte, proxyBufSize) }}}
}

func (b *bufferPool) Get() []byte { return b.p.Get().([]byte) }

func (b *bufferPool) Put(buf []byte) {
	if cap(buf) == proxyBufSize {
		//lint:ignore SA6002 the slice header boxed is 24 bytes, against the 32 KiB a Get saves
		b.p.Put(buf[:proxyBufSize])
	}
}
