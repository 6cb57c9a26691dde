package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/imageworks-ai/loader/sdk"
)

// DefaultMaxBody is the largest response body a Client reads by default.
const DefaultMaxBody = 32 << 20

// Client sends JSON requests to one server. It sets
// "Content-Type: application/json" on every request and
// "Authorization: Bearer KEY" only when a key is set; the key never appears
// in errors, and String redacts it. Errors and BaseURL show the base URL
// without a password, query or fragment. A Client is safe for concurrent use.
type Client struct {
	base    string     // without the query
	query   sdk.Secret // the base URL's query (it may hold a key), appended to every request
	shown   string     // base with user info redacted, for messages
	key     sdk.Secret
	hc      *http.Client
	now     func() time.Time
	maxBody int64
	agent   string
}

// Option configures a Client.
type Option func(*Client)

// WithAPIKey sets the key sent as "Authorization: Bearer KEY". An empty key
// sends no Authorization header.
func WithAPIKey(key string) Option { return WithSecret(sdk.Secret(key)) }

// WithSecret is WithAPIKey for a key a request carries (sdk.HealthRequest's
// APIKey, ...), so that the backend never reveals it itself.
func WithSecret(key sdk.Secret) Option { return func(c *Client) { c.key = key } }

// WithHTTPClient sets the HTTP client (default: a client without its own
// timeout; deadlines come from the context).
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.hc = hc
		}
	}
}

// WithClock sets the clock latencies are measured with (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(c *Client) {
		if now != nil {
			c.now = now
		}
	}
}

// WithMaxBody sets the largest response body read (default DefaultMaxBody).
func WithMaxBody(n int64) Option {
	return func(c *Client) {
		if n > 0 {
			c.maxBody = n
		}
	}
}

// WithUserAgent sets the User-Agent header (default "imageworks-loader").
func WithUserAgent(ua string) Option { return func(c *Client) { c.agent = ua } }

// NewClient returns a client for the server at baseURL (trailing slashes are
// removed); request paths are appended to its path, and its query, if any
// (Azure's ?api-version=...&api-key=...), to every request.
func NewClient(baseURL string, opts ...Option) *Client {
	c := &Client{
		base:    strings.TrimRight(strings.TrimSpace(baseURL), "/"),
		hc:      &http.Client{},
		now:     time.Now,
		maxBody: DefaultMaxBody,
		agent:   "imageworks-loader",
	}
	if u, err := url.Parse(c.base); err == nil && u.RawQuery != "" {
		c.query = sdk.Secret(u.RawQuery)
		u.RawQuery, u.ForceQuery = "", false
		c.base = strings.TrimRight(u.String(), "/")
	}
	c.shown = sdk.RedactURL(c.base)
	for _, o := range opts {
		o(c)
	}
	return c
}

// scrub removes from a server's text (an error body that echoes the
// request, say) the client's key and the credentials of its base URL.
func (c *Client) scrub(s string) string {
	secrets := sdk.URLSecrets(c.base + "?" + c.query.Reveal())
	return sdk.RedactText(s, append(secrets, c.key)...)
}

// shownURL is the URL of a request to path as messages show it.
func (c *Client) shownURL(path string) string {
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	return c.shown + path
}

// BaseURL returns the base URL requests go to, with any password redacted
// and without its query or fragment.
func (c *Client) BaseURL() string { return c.shown }

// String describes the client without its key.
func (c *Client) String() string {
	k := "no key"
	if c.key != "" {
		k = "key set"
	}
	return fmt.Sprintf("openai.Client(%s, %s)", c.shown, k)
}

// GoString is String, so that %#v does not print the key either.
func (c *Client) GoString() string { return c.String() }

// Response is a complete HTTP answer.
type Response struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Header holds the answer's headers.
	Header http.Header
	// Body is the whole body as read.
	Body []byte
	// Latency is client wall-clock time from sending the request to having
	// read the whole body.
	Latency time.Duration
}

// Do sends a request with in (when non-nil) encoded as its JSON body, to the
// base URL plus path, and reads the whole answer.
//
// Errors: a request that could not be sent or whose answer could not be
// read (refused connection, timeout, reset) wraps sdk.ErrUnavailable and,
// when the context ended it, the context's error; a cancelled context wraps
// context.Canceled only. A body larger than the client's limit wraps
// sdk.ErrBadResponse. A status of 400 or more returns the Response together
// with an *APIError (see there for the sentinels it unwraps to).
func (c *Client) Do(ctx context.Context, method, path string, in any) (*Response, error) {
	full := c.base + path
	if c.query != "" {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		full += sep + c.query.Reveal()
	}
	shown := c.shownURL(path)
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("%s %s: encoding request: %w: %w", method, shown, sdk.ErrBadRequest, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, full, body)
	if err != nil {
		// A *url.Error quotes the whole URL, key and password included:
		// keep only its cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%s %s: %w: %w", method, shown, sdk.ErrBadRequest, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if c.agent != "" {
		req.Header.Set("User-Agent", c.agent)
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key.Reveal())
	}
	start := c.now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, transportError(method, shown, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	latency := c.now().Sub(start)
	if err != nil {
		return nil, transportError(method, shown, fmt.Errorf("reading body: %w", err))
	}
	if int64(len(data)) > c.maxBody {
		return nil, fmt.Errorf("%s %s: %w: body larger than %d bytes", method, shown, sdk.ErrBadResponse, c.maxBody)
	}
	r := &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: data, Latency: latency}
	if resp.StatusCode >= 400 {
		return r, newAPIError(method, shown, resp.StatusCode, []byte(c.scrub(string(data))))
	}
	return r, nil
}

// transportError classifies a failure to get an answer at all.
func transportError(method, shown string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s %s: %w", method, shown, err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s %s: timed out: %w: %w", method, shown, sdk.ErrUnavailable, err)
	}
	return fmt.Errorf("%s %s: %w: %w", method, shown, sdk.ErrUnavailable, err)
}

// GetJSON sends a GET to path and decodes the JSON answer into out. Errors
// are Do's, and a 2xx body that does not decode into out wraps
// sdk.ErrBadResponse.
func (c *Client) GetJSON(ctx context.Context, path string, out any) (*Response, error) {
	return c.DoJSON(ctx, http.MethodGet, path, nil, out)
}

// PostJSON sends in as JSON to path and decodes the JSON answer into out.
// Errors are as for GetJSON.
func (c *Client) PostJSON(ctx context.Context, path string, in, out any) (*Response, error) {
	return c.DoJSON(ctx, http.MethodPost, path, in, out)
}

// DoJSON is Do followed by decoding a 2xx answer into out (when out is
// non-nil). Errors are as for GetJSON.
func (c *Client) DoJSON(ctx context.Context, method, path string, in, out any) (*Response, error) {
	r, err := c.Do(ctx, method, path, in)
	if err != nil || out == nil {
		return r, err
	}
	if err := json.Unmarshal(r.Body, out); err != nil {
		return r, fmt.Errorf("%s %s: decoding answer (HTTP %d, %q): %w: %w",
			method, c.shownURL(path), r.StatusCode, Excerpt(c.scrub(string(r.Body))), sdk.ErrBadResponse, err)
	}
	return r, nil
}

// Models lists what the server serves (GET {base}/models, base being the
// /v1 endpoint). Errors are as for GetJSON.
func (c *Client) Models(ctx context.Context) (ModelList, *Response, error) {
	var l ModelList
	r, err := c.GetJSON(ctx, "/models", &l)
	return l, r, err
}

// ChatCompletion sends req (non-streaming) to {base}/chat/completions.
// Errors are as for PostJSON.
func (c *Client) ChatCompletion(ctx context.Context, req ChatRequest) (ChatResponse, *Response, error) {
	req.Stream = false
	var out ChatResponse
	r, err := c.PostJSON(ctx, "/chat/completions", req, &out)
	return out, r, err
}
