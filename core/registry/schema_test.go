package registry

import "testing"

// Every typed key and member has its checker, with the message Validate
// reports.
func TestCheckField(t *testing.T) {
	tests := []struct {
		key, value, want string
	}{
		{"name", `"a"`, ""},
		{"name", `null`, "name must be a string, found null"},
		{"backend", `1`, "backend must be a string, found a number"},
		{"display_name", `null`, ""},
		{"download_path", `[]`, "download_path must be a string or null, found a list"},
		{"downloaded_at", `"2025-01-02T03:04:05Z"`, ""},
		{"downloaded_at", `true`, "downloaded_at must be a timestamp string or null, found a boolean"},
		{"last_accessed", `"yesterday"`, `last_accessed is not an RFC 3339 timestamp: "yesterday"`},
		{"download_size_bytes", `1.5`, "download_size_bytes must be an integer or null, found a number"},
		{"deprecated", `null`, "deprecated must be a boolean, found null"},
		{"roles", `["a", 1]`, "roles must be a list of strings, found an element that is a number"},
		{"model_aliases", `"a"`, "model_aliases must be a list of strings, found a string"},
		{"role_priority", `null`, "role_priority must be an object, found null"},
		{"role_priority", `{"caption": "high"}`, "role_priority.caption must be an integer, found a string"},
		{"capabilities", `{"vision": {"enabled": true}, "tools": 1}`, "capabilities.tools must be a boolean or an object, found a number"},
		{"metadata", `null`, ""},
		{"metadata", `[]`, "metadata must be an object, found a list"},
		{"backend_config", `null`, "backend_config must be an object, found null"},
		{"backend_config", `{"port": "8000"}`, "backend_config.port must be an integer, found a string"},
		{"backend_config", `{"host": 1}`, "backend_config.host must be a string, found a number"},
		{"backend_config", `{"extra_args": [true]}`, "backend_config.extra_args must be a list of strings, found an element that is a boolean"},
		{"backend_config", `{"unknown": 1, "port": null}`, ""},
		{"backend_config", `{"ollama_models": ["/srv"]}`, "backend_config.ollama_models must be a string, found a list"},
		{"generation_defaults", `null`, ""},
		{"generation_defaults", `{"max_tokens": 1.5}`, "generation_defaults.max_tokens must be an integer or null, found a number"},
		{"generation_defaults", `{"temperature": "hot"}`, "generation_defaults.temperature must be a number or null, found a string"},
		{"generation_defaults", `{"stop_sequences": null}`, ""},
		{"generation_defaults", `{"stop_sequences": "x"}`, "generation_defaults.stop_sequences must be a list of strings, found a string"},
		{"chat_template", `{"source": 1}`, "chat_template.source must be a string or null, found a number"},
		{"performance", `{"rolling_samples": "x"}`, "performance.rolling_samples must be an integer or null, found a string"},
		{"performance", `{"last_sample": 1}`, "performance.last_sample must be an object or null, found a number"},
		{"artifacts", `1`, "artifacts must be an object, found a number"},
		{"artifacts", `{"aggregate_sha256": 1}`, "artifacts.aggregate_sha256 must be a string, found a number"},
		{"artifacts", `{"files": {}}`, "artifacts.files must be a list, found an object"},
		{"artifacts", `{"files": [{"path": "a"}]}`, `artifacts.files: every element must be an object with string "path" and "sha256"`},
		{"artifacts", `{"files": [{"path": "a", "sha256": "b"}]}`, ""},
		{"version_lock", `{"locked": "yes"}`, "version_lock.locked must be a boolean, found a string"},
		{"version_lock", `{"expected_aggregate_sha256": 1}`, "version_lock.expected_aggregate_sha256 must be a string or null, found a number"},
		{"version_lock", `{"last_verified": "soon"}`, `version_lock.last_verified is not an RFC 3339 timestamp: "soon"`},
		{"probes", `{"vision": []}`, "probes.vision must be an object or null, found a list"},
		{"unknown_key", `[1]`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			if got := checkField(tt.key, []byte(tt.value)); got != tt.want {
				t.Errorf("checkField(%q, %s) = %q, want %q", tt.key, tt.value, got, tt.want)
			}
		})
	}
}
