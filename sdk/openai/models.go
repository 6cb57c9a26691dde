package openai

import (
	"slices"
	"strings"

	"github.com/imageworks-ai/loader/sdk"
)

// ModelList is a GET /v1/models answer.
type ModelList struct {
	Object string      `json:"object"` // "list"
	Data   []ModelCard `json:"data"`   // the cards, in server order
}

// ModelCard is one /v1/models card. vLLM sends one card per served alias,
// all with the same Root (the model path), and a card per LoRA adapter whose
// Parent is the base model; LMDeploy's Root is the served name and it has no
// MaxModelLen.
type ModelCard struct {
	ID          string  `json:"id"`                      // the id clients send as "model"
	Object      string  `json:"object"`                  // "model"
	Created     int64   `json:"created"`                 // Unix seconds
	OwnedBy     string  `json:"owned_by"`                // "vllm", "lmdeploy", ...
	Root        string  `json:"root,omitempty"`          // the model's source
	Parent      *string `json:"parent"`                  // a LoRA adapter's base model, else nil
	MaxModelLen int64   `json:"max_model_len,omitempty"` // maximum context, 0 when not sent
}

// IDs returns every card's id, sorted, without duplicates or empty ids.
func (l ModelList) IDs() []string {
	ids := make([]string, 0, len(l.Data))
	for _, c := range l.Data {
		if c.ID != "" {
			ids = append(ids, c.ID)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// GroupModels turns model cards into served models: cards without a parent
// that share a non-empty Root are one model whose ID is the first such card
// in server order and whose Aliases are the other ids (sorted); a card with
// a parent (a LoRA adapter) is a model of its own with Parent set.
// ContextLength is the largest MaxModelLen of the group. The result is
// sorted by ID; Capabilities are nil (the OpenAI API cannot say).
func GroupModels(cards []ModelCard) []sdk.ServedModel {
	var out []sdk.ServedModel
	byRoot := map[string]int{} // root -> index in out
	seen := map[string]bool{}
	for _, c := range cards {
		if c.ID == "" || seen[c.ID] {
			continue
		}
		seen[c.ID] = true
		parent := ""
		if c.Parent != nil {
			parent = strings.TrimSpace(*c.Parent)
		}
		if parent == "" && c.Root != "" {
			if i, ok := byRoot[c.Root]; ok {
				out[i].Aliases = append(out[i].Aliases, c.ID)
				out[i].ContextLength = max(out[i].ContextLength, c.MaxModelLen)
				continue
			}
			byRoot[c.Root] = len(out)
		}
		out = append(out, sdk.ServedModel{ID: c.ID, Root: c.Root, Parent: parent, ContextLength: c.MaxModelLen})
	}
	for i := range out {
		slices.Sort(out[i].Aliases)
	}
	slices.SortFunc(out, func(a, b sdk.ServedModel) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Statuses says, for each requested id in order, whether it is among
// served. When canon is non-nil both sides are compared through it (Ollama
// uses it to make "llava" and "llava:latest" equal).
func Statuses(requested, served []string, canon func(string) string) []sdk.ModelStatus {
	if canon == nil {
		canon = func(s string) string { return s }
	}
	set := make(map[string]bool, len(served))
	for _, s := range served {
		set[canon(s)] = true
	}
	out := make([]sdk.ModelStatus, 0, len(requested))
	for _, r := range requested {
		out = append(out, sdk.ModelStatus{ID: r, Served: set[canon(r)]})
	}
	return out
}
