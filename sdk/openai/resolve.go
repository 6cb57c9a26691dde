package openai

import (
	"strings"

	"github.com/imageworks-ai/loader/sdk"
)

// Resolve applies the endpoint rules (see Endpoint) and the model id rule
// (see ModelID) to an entry, with notes saying which rule gave the
// endpoint. It does no I/O and never fails; a backend adds its own live
// check when asked.
func Resolve(e sdk.Entry, defaultPort int) sdk.Resolution {
	r := sdk.Resolution{Endpoint: Endpoint(e.Config, defaultPort), InternalModelID: ModelID(e)}
	switch {
	case strings.TrimSpace(e.Config.BaseURL) != "":
		r.Notes = append(r.Notes, "endpoint from backend_config.base_url")
	case hasHTTPScheme(strings.TrimSpace(e.Config.Host)):
		r.Notes = append(r.Notes, "endpoint from backend_config.host (a URL)")
	default:
		r.Notes = append(r.Notes, "endpoint from host and port")
	}
	if strings.TrimSpace(e.ServedModelID) == "" {
		r.Notes = append(r.Notes, "no served_model_id: the logical name is the model id")
	}
	return r
}
