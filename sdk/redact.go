package sdk

import (
	"encoding/base64"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Masked is what RedactURL, RedactSecrets and RedactText put in place of a
// password, a key-like query value or a known secret.
const Masked = "xxxxx"

// RedactURL returns raw fit to print or store: the password of any user
// info replaced by Masked (the user name stays), the value of every query
// parameter whose name looks like a credential (api-key, api_key, key,
// token, access_token, secret, password, sig, auth, ...) replaced by Masked
// (other parameters, such as api-version, stay as they were), and any
// fragment dropped. It works on the text, so a URL that does not parse is
// redacted the same way. It is the one function every URL the loader and
// the bundled plugins print or store passes through.
func RedactURL(raw string) string {
	if i := strings.IndexByte(raw, '#'); i >= 0 {
		raw = raw[:i]
	}
	base, query, hasQuery := strings.Cut(raw, "?")
	if i := strings.Index(base, "://"); i >= 0 {
		rest := base[i+3:]
		end := strings.IndexByte(rest, '/')
		if end < 0 {
			end = len(rest)
		}
		if at := strings.LastIndexByte(rest[:end], '@'); at >= 0 {
			if user, _, hasPass := strings.Cut(rest[:at], ":"); hasPass {
				base = base[:i+3] + user + ":" + Masked + rest[at:]
			}
		}
	}
	if !hasQuery {
		return base
	}
	if query == "" {
		return base
	}
	parts := strings.Split(query, "&")
	for j, p := range parts {
		name, _, hasValue := strings.Cut(p, "=")
		if hasValue && credentialName(name) {
			parts[j] = name + "=" + Masked
		}
	}
	return base + "?" + strings.Join(parts, "&")
}

// credentialWords are the parts of a query parameter's name that make its
// value a credential.
var credentialWords = [...]string{"key", "token", "secret", "pass", "pwd", "auth", "sig", "cred", "session"}

// credentialName reports whether a query parameter named name (still
// percent-encoded) carries a credential.
func credentialName(name string) bool {
	if n, err := url.QueryUnescape(name); err == nil {
		name = n
	}
	name = strings.ToLower(name)
	for _, w := range credentialWords {
		if strings.Contains(name, w) {
			return true
		}
	}
	return false
}

// RedactSecrets returns s with every occurrence of each non-empty secret
// replaced by Masked: as it is, and in the forms a server echoing it back
// may use (percent-encoded in a URL query or path, escaped in a JSON
// string). "Bearer KEY" thus becomes "Bearer xxxxx". Longer secrets go
// first, so that a key that begins another leaves none of it behind.
func RedactSecrets(s string, secrets ...Secret) string {
	if len(secrets) > 1 {
		secrets = slices.Clone(secrets)
		slices.SortStableFunc(secrets, func(a, b Secret) int { return len(b) - len(a) })
	}
	for _, sec := range secrets {
		k := sec.Reveal()
		if k == "" {
			continue
		}
		forms := [...]string{k, url.QueryEscape(k), url.PathEscape(k), jsonEscape(k)}
		for i, form := range forms {
			if i > 0 && slices.Contains(forms[:i], form) {
				continue
			}
			s = strings.ReplaceAll(s, form, Masked)
		}
	}
	return s
}

// jsonEscape is k as it appears inside a JSON string.
func jsonEscape(k string) string {
	var b strings.Builder
	for _, r := range k {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte("0123456789abcdef"[r>>4])
			b.WriteByte("0123456789abcdef"[r&0xf])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// urlInText finds URLs with a scheme inside free text (error messages,
// notes), ending at a space, a quote or an angle bracket.
var urlInText = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s"'<>` + "`" + `]+`)

// RedactText returns a message fit to print or store: every URL in it
// passed through RedactURL, and every secret removed as RedactSecrets does.
func RedactText(s string, secrets ...Secret) string {
	if strings.Contains(s, "://") {
		s = urlInText.ReplaceAllStringFunc(s, RedactURL)
	}
	return RedactSecrets(s, secrets...)
}

// URLSecrets returns the credentials raw carries, the ones RedactURL masks:
// the user info's password (and the base64 user:password of HTTP Basic
// authentication) and the values of credential-like query parameters, each
// as written and percent-decoded. Pass them to
// RedactSecrets to scrub a server's answer that echoes them.
func URLSecrets(raw string) []Secret {
	var out []Secret
	add := func(v string) {
		if v == "" {
			return
		}
		out = append(out, Secret(v))
		if d, err := url.QueryUnescape(v); err == nil && d != v && d != "" {
			out = append(out, Secret(d))
		}
	}
	if i := strings.IndexByte(raw, '#'); i >= 0 {
		raw = raw[:i]
	}
	base, query, _ := strings.Cut(raw, "?")
	if i := strings.Index(base, "://"); i >= 0 {
		rest := base[i+3:]
		if end := strings.IndexByte(rest, '/'); end >= 0 {
			rest = rest[:end]
		}
		if at := strings.LastIndexByte(rest, '@'); at >= 0 {
			if user, pass, ok := strings.Cut(rest[:at], ":"); ok && pass != "" {
				add(pass)
				// The Basic credential an HTTP client sends for it, which a
				// server may echo (an error quoting its Authorization header).
				for _, u := range slices.Compact([]string{user, unescaped(user)}) {
					for _, p := range slices.Compact([]string{pass, unescaped(pass)}) {
						out = append(out, Secret(base64.StdEncoding.EncodeToString([]byte(u+":"+p))))
					}
				}
			}
		}
	}
	for p := range strings.SplitSeq(query, "&") {
		if name, value, ok := strings.Cut(p, "="); ok && credentialName(name) {
			add(value)
		}
	}
	return out
}

// unescaped is v percent-decoded, or v when it does not decode.
func unescaped(v string) string {
	if d, err := url.PathUnescape(v); err == nil {
		return d
	}
	return v
}
