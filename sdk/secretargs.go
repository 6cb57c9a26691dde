package sdk

import (
	"slices"
	"strings"
)

// secretFlagNames are the flags IsSecretFlag knows by name.
var secretFlagNames = [...]string{"--api-key", "--api-keys", "--token", "--hf-token", "--password"}

// secretFlagSuffixes are the endings that make any flag a secret one.
var secretFlagSuffixes = [...]string{"-key", "-keys", "-secret", "-token", "-password"}

// IsSecretFlag reports whether the flag name (with its dashes, without any
// "=value") carries a credential. These do:
//
//   - by name: --api-key (vLLM, llama.cpp), --api-keys (LMDeploy),
//     --token, --hf-token (vLLM) and --password;
//   - by ending: any --NAME-key, --NAME-keys, --NAME-secret, --NAME-token
//     or --NAME-password (--openai-api-key, --aws-secret, --db-password).
//
// Case is ignored, and so is the difference between "_" and "-" (vLLM
// takes --api_key for --api-key). A flag must start with "--"; --api-key-file
// or --ssl-keyfile, which name files, do not count.
func IsSecretFlag(name string) bool {
	if !strings.HasPrefix(name, "--") {
		return false
	}
	name = strings.ReplaceAll(strings.ToLower(name), "_", "-")
	if slices.Contains(secretFlagNames[:], name) {
		return true
	}
	for _, s := range secretFlagSuffixes {
		if strings.HasSuffix(name, s) && len(name) > len(s)+2 {
			return true
		}
	}
	return false
}

// SecretArgs returns the credentials a command line carries: the value of
// each secret flag (see IsSecretFlag), written "--flag=value" or "--flag
// value". In the second spelling every argument up to the next flag is a
// value, since LMDeploy's --api-keys (and recent vLLM's --api-key) take
// several. Empty values are skipped; the result is in order of appearance.
func SecretArgs(args []string) []Secret {
	var out []Secret
	eachSecretArg(args, func(_ int, value string) { out = append(out, Secret(value)) })
	return out
}

// RedactArgs returns a copy of args fit to print or store: the value of
// each secret flag (see SecretArgs) replaced by Masked, in whichever
// spelling ("--api-key=xxxxx", "--api-key xxxxx"), and every occurrence of
// those values and of secrets elsewhere in an argument removed as
// RedactSecrets does. Flag names and the other arguments stay as they are.
func RedactArgs(args []string, secrets ...Secret) []string {
	out := slices.Clone(args)
	all := slices.Clone(secrets)
	eachSecretArg(args, func(i int, value string) {
		all = append(all, Secret(value))
		if name, _, ok := strings.Cut(out[i], "="); ok && strings.HasPrefix(out[i], "--") {
			out[i] = name + "=" + Masked
		} else {
			out[i] = Masked
		}
	})
	if len(all) == 0 {
		return out
	}
	for i, a := range out {
		out[i] = RedactSecrets(a, all...)
	}
	return out
}

// eachSecretArg calls fn with the index and value of each non-empty
// secret flag value in args: the argument itself for "--flag=value", each
// following argument up to the next flag for "--flag value".
func eachSecretArg(args []string, fn func(i int, value string)) {
	for i := 0; i < len(args); i++ {
		name, ok := flagName(args[i])
		if !ok || !IsSecretFlag(name) {
			continue
		}
		if _, value, hasValue := strings.Cut(args[i], "="); hasValue {
			if value != "" {
				fn(i, value)
			}
			continue
		}
		for i+1 < len(args) {
			if _, isFlag := flagName(args[i+1]); isFlag || args[i+1] == "--" {
				break
			}
			i++
			if args[i] != "" {
				fn(i, args[i])
			}
		}
	}
}
