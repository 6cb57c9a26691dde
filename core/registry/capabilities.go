package registry

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"

	"github.com/imageworks-ai/loader/core/registry/internal/doc"
)

// canonicalCaps returns the keys every normalised capability map holds,
// as a fresh array.
func canonicalCaps() [7]string {
	return [...]string{"text", "vision", "audio", "embedding", "tools", "thinking", "reasoning"}
}

// CanonicalCapabilities returns the keys every normalised capability map
// holds, sorted: audio, embedding, reasoning, text, thinking, tools, vision.
func CanonicalCapabilities() []string {
	c := canonicalCaps()
	out := c[:]
	slices.Sort(out)
	return out
}

// CapabilityNames returns every capability name the normalisation knows:
// the canonical keys and all their synonyms, sorted. A stored key or a
// required capability outside it is a custom one (kept as it is) or a typo.
func CapabilityNames() []string {
	out := []string{
		"text", "language", "chat",
		"vision", "visual", "multimodal", "mm", "image", "vl",
		"audio", "speech", "voice", "asr", "tts",
		"embedding", "embed", "text-embedding", "representation",
		"tools", "tool_use", "tool-use", "tool_call", "tool-call", "toolcalls", "tool_calls",
		"toolchoice", "tool_choice", "function_call", "function-call", "function_calls",
		"function_calling", "function-calling", "function_tools", "functioncalling",
		"toolcalling", "auto_tool_choice",
		"reasoning",
		"thinking", "reason", "think", "chain_of_thought", "cot", "reasoner", "o1", "o3", "r1", "deepseek",
	}
	slices.Sort(out)
	return out
}

// KnownCapability reports whether name (any case, surrounding spaces
// ignored) is a canonical capability or one of its synonyms.
func KnownCapability(name string) bool {
	return capabilitySynonym(strings.ToLower(strings.TrimSpace(name))) != ""
}

// capabilitySynonym maps a trimmed, lower-cased key to its canonical key.
func capabilitySynonym(k string) string {
	switch k {
	case "text", "language", "chat":
		return "text"
	case "vision", "visual", "multimodal", "mm", "image", "vl":
		return "vision"
	case "audio", "speech", "voice", "asr", "tts":
		return "audio"
	case "embedding", "embed", "text-embedding", "representation":
		return "embedding"
	case "tools", "tool_use", "tool-use", "tool_call", "tool-call", "toolcalls", "tool_calls",
		"toolchoice", "tool_choice", "function_call", "function-call", "function_calls",
		"function_calling", "function-calling", "function_tools", "functioncalling",
		"toolcalling", "auto_tool_choice":
		return "tools"
	case "reasoning":
		return "reasoning"
	case "thinking", "reason", "think", "chain_of_thought", "cot", "reasoner", "o1", "o3", "r1", "deepseek":
		return "thinking"
	}
	return ""
}

// CanonicalCapability maps a capability name (as a caller would require it)
// to the key it is found under in a normalised map: trimmed, lower-cased and
// mapped through the synonym table. Unknown names come back trimmed and
// lower-cased; a blank name gives "".
func CanonicalCapability(name string) string {
	k := strings.ToLower(strings.TrimSpace(name))
	if c := capabilitySynonym(k); c != "" {
		return c
	}
	return k
}

// capabilityTrue reports whether a stored capability value counts as true:
// true, an object whose "enabled" is true, or a non-empty object without
// "enabled".
func capabilityTrue(v doc.Value) bool {
	if v.Bool() {
		return true
	}
	if v.Kind() != doc.Object {
		return false
	}
	if en := v.Get("enabled"); en.Kind() != doc.Missing {
		return en.Bool()
	}
	return hasMembers(v)
}

// NormalizeCapabilities turns a stored capabilities object into the map
// answers use. Keys are trimmed and lower-cased. The map holds every
// canonical key (text, vision, audio, embedding, tools, thinking, reasoning)
// plus every other key of the source with its boolean value; a canonical key
// is true when it or any of its synonyms is true, thinking and reasoning set
// each other, and text is true unless a text key is present and none is
// true. Input that is not a JSON object normalises as an empty object. The
// stored object itself is never changed.
func NormalizeCapabilities(raw json.RawMessage) map[string]bool {
	raw = bytes.TrimSpace(raw)
	if !validValue(raw) {
		raw = nil
	}
	return normalizeCaps(raw)
}

// validValue reports whether raw is exactly one valid JSON value.
func validValue(raw []byte) bool {
	return doc.Valid(raw)
}

// capTruth is one capability key and whether its value counts as true.
type capTruth struct {
	key   string
	truth bool
}

// capTruths lists the members of a capabilities object with their truth.
func capTruths(raw doc.Value) []capTruth {
	if raw.Kind() != doc.Object {
		return nil
	}
	j := doc.Join(raw, nil)
	out := make([]capTruth, 0, j.Len())
	j.Each(func(k string, v, _ doc.Value) { out = append(out, capTruth{k, capabilityTrue(v)}) })
	return out
}

// mergedCapTruths is capTruths of the curated-owned merge of the
// capabilities values dv (discovered) and cv (curated), without building
// the merged bytes.
func mergedCapTruths(dv, cv doc.Value) []capTruth {
	switch {
	case cv.Kind() == doc.Missing || cv.Kind() == doc.Null:
		if dv.Kind() != doc.Missing {
			return capTruths(dv)
		}
		return capTruths(cv)
	case dv.Kind() != doc.Object || cv.Kind() != doc.Object || bytes.Equal(dv, cv):
		return capTruths(cv)
	}
	j := doc.Join(dv, cv)
	out := make([]capTruth, 0, j.Len())
	j.Each(func(k string, d, c doc.Value) {
		switch {
		case c.Kind() == doc.Object && d.Kind() == doc.Object:
			out = append(out, capTruth{k, mergedObjectTrue(d, c)})
		case c.Kind() != doc.Missing && c.Kind() != doc.Null:
			out = append(out, capTruth{k, capabilityTrue(c)})
		default:
			out = append(out, capTruth{k, capabilityTrue(d)})
		}
	})
	return out
}

// mergedObjectTrue is capabilityTrue of the merge of two objects.
func mergedObjectTrue(d, c doc.Value) bool {
	de, ce := d.Get("enabled"), c.Get("enabled")
	switch {
	case ce.Kind() != doc.Missing && ce.Kind() != doc.Null:
		return ce.Bool() // an object-valued enabled merges into an object: not true
	case de.Kind() != doc.Missing:
		return de.Bool()
	case ce.Kind() != doc.Missing:
		return false // enabled: null
	}
	return hasMembers(d) || hasMembers(c)
}

func hasMembers(obj doc.Value) bool {
	for range obj.Members() {
		return true
	}
	return false
}

// normalizeCaps is NormalizeCapabilities for an already validated value.
func normalizeCaps(raw []byte) map[string]bool { return normalizeTruths(capTruths(raw)) }

func normalizeTruths(ts []capTruth) map[string]bool {
	caps := canonicalCaps()
	out := make(map[string]bool, len(ts)+len(caps))
	for _, k := range caps {
		out[k] = false
	}
	textSeen, textTrue := false, false
	for _, m := range ts {
		k := strings.ToLower(strings.TrimSpace(m.key))
		t := m.truth
		out[k] = out[k] || t
		switch c := capabilitySynonym(k); c {
		case "":
		case "text":
			textSeen = true
			textTrue = textTrue || t
		case "thinking", "reasoning":
			if t {
				out["thinking"], out["reasoning"] = true, true
			}
		default:
			out[c] = out[c] || t
		}
	}
	out["text"] = !textSeen || textTrue
	return out
}

// holds reports whether the normalised map of ts would hold canonical key
// want (as CanonicalCapability returns it) true, without building the map.
func holds(ts []capTruth, want string) bool {
	if want == "" {
		return false
	}
	textSeen, any := false, false
	for _, m := range ts {
		k := strings.ToLower(strings.TrimSpace(m.key))
		c := capabilitySynonym(k)
		if c == "text" {
			textSeen = true
		}
		match := k == want || c == want || (want == "reasoning" || want == "thinking") && (c == "thinking" || c == "reasoning")
		if match && m.truth {
			any = true
		}
	}
	if want == "text" {
		return !textSeen || any
	}
	return any
}

// Capabilities returns the normalised capability map (see
// NormalizeCapabilities).
func (e *Entry) Capabilities() map[string]bool { return normalizeTruths(e.capTruths()) }

// HasCapability reports whether the normalised capabilities hold name (a
// canonical key or a synonym, any case) true; unknown names are false. It
// is Capabilities()[CanonicalCapability(name)] without building the map.
func (e *Entry) HasCapability(name string) bool {
	return holds(e.capTruths(), CanonicalCapability(name))
}

func (e *Entry) capTruths() []capTruth {
	switch {
	case e.cur == nil:
		return capTruths(e.dis.Get(keyCapabilities))
	case e.dis == nil:
		return capTruths(e.cur.Get(keyCapabilities))
	}
	return mergedCapTruths(e.dis.Get(keyCapabilities), e.cur.Get(keyCapabilities))
}
