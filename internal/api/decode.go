package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/hushpay/hushpay/internal/store"
)

// cardFieldNames are JSON keys that name card data. A body holding any of them, at any
// depth, is rejected before anything else is looked at: no endpoint accepts card data.
var cardFieldNames = map[string]bool{
	"pan": true, "card": true, "card_number": true, "cardnumber": true, "number": true,
	"cvv": true, "cvv2": true, "cvc": true, "cvc2": true, "cid": true, "security_code": true, "securitycode": true,
	"track": true, "track1": true, "track2": true, "track_data": true, "exp_month": true, "exp_year": true,
	"expiry": true, "expiry_date": true, "exp": true, "pin": true,
}

func normaliseKey(k string) string {
	return strings.ToLower(strings.NewReplacer("-", "_", " ", "_").Replace(k))
}

// errCardData is the answer to any request that carries card data.
var errCardData = errf(http.StatusBadRequest, CodeCardDataRejected,
	"card data is never accepted by the API: the customer keys it on the phone")

// checkNoCardData walks a decoded JSON value and rejects card-named keys and values that
// look like a card number.
func checkNoCardData(v any) error {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if cardFieldNames[normaliseKey(k)] || store.LooksLikeCard(k) {
				return errCardData
			}
			if err := checkNoCardData(e); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range x {
			if err := checkNoCardData(e); err != nil {
				return err
			}
		}
	case string:
		if store.LooksLikeCard(x) {
			return errCardData
		}
	case json.Number:
		if store.LooksLikeCard(x.String()) {
			return errCardData
		}
	}
	return nil
}

// decodeJSON reads the request body into dst strictly: JSON media type, at most maxBody
// bytes, one object, no unknown fields, and no card data anywhere.
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return errf(http.StatusUnsupportedMediaType, CodeUnsupportedMedia, "send the body as application/json")
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return errf(http.StatusRequestEntityTooLarge, CodeTooLarge, fmt.Sprintf("the body is larger than %d bytes", s.opts.MaxBodyBytes))
		}
		return errf(http.StatusBadRequest, CodeInvalidRequest, "could not read the body")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	// First pass: generic, to refuse card data whatever the endpoint's shape.
	var generic any
	gd := json.NewDecoder(bytes.NewReader(body))
	gd.UseNumber()
	if err := gd.Decode(&generic); err != nil {
		return errf(http.StatusBadRequest, CodeInvalidRequest, "the body is not valid JSON")
	}
	if err := checkNoCardData(generic); err != nil {
		return err
	}
	if _, ok := generic.(map[string]any); !ok {
		return errf(http.StatusBadRequest, CodeInvalidRequest, "the body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return errf(http.StatusBadRequest, CodeInvalidRequest, jsonErrorMessage(err))
	}
	if dec.More() {
		return errf(http.StatusBadRequest, CodeInvalidRequest, "the body must hold one JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return errf(http.StatusBadRequest, CodeInvalidRequest, "unexpected data after the JSON object")
	}
	return nil
}

// jsonErrorMessage explains a decoding error without echoing the input's values.
func jsonErrorMessage(err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		return fmt.Sprintf("field %q: wrong type (want %s)", te.Field, te.Type)
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	return "invalid JSON body"
}
