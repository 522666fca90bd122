package api

import (
	"net/http"
	"net/url"
	"strings"
	"unicode"
)

// validID checks an identifier from a path or a body: 1 to 128 characters of letters,
// digits and . _ - @ :.
func validID(what, v string) error {
	if v == "" || len(v) > 128 {
		return errf(http.StatusBadRequest, CodeInvalidRequest, what+" must be 1 to 128 characters")
	}
	for _, c := range v {
		if !(c < 128 && (unicode.IsLetter(c) || unicode.IsDigit(c) || strings.ContainsRune("._-@:", c))) {
			return errf(http.StatusBadRequest, CodeInvalidRequest, what+" may hold only letters, digits and . _ - @ :")
		}
	}
	return nil
}

// validText checks free text: at most max bytes of printable characters, no control
// characters.
func validText(what, v string, max int) error {
	if len(v) > max {
		return errf(http.StatusBadRequest, CodeInvalidRequest, what+" is too long")
	}
	for _, c := range v {
		if unicode.IsControl(c) || c == unicode.ReplacementChar {
			return errf(http.StatusBadRequest, CodeInvalidRequest, what+" holds control or invalid characters")
		}
	}
	return nil
}

// requiredText is validText for a field that must not be empty.
func requiredText(what, v string, max int) error {
	if v == "" {
		return errf(http.StatusBadRequest, CodeInvalidRequest, what+" is required")
	}
	return validText(what, v, max)
}

// validURL checks a webhook URL: absolute http or https with a host.
func validURL(what, v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || len(v) > 2048 {
		return errf(http.StatusBadRequest, CodeInvalidRequest, what+" must be an absolute http or https URL without credentials")
	}
	return nil
}
