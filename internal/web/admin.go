package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/hushpay/hushpay/internal/api"
	"github.com/hushpay/hushpay/internal/store"
)

type adminData struct {
	Users    []store.User
	Keys     []store.APIKey
	Settings Settings
	Webhook  string
	NewKey   string
	Roles    []string
	Scopes   []string
}

func (s *Server) handleAdmin(w http.ResponseWriter, r *http.Request, u store.User) {
	s.adminPage(w, r, u, http.StatusOK, r.URL.Query().Get("done"), "", "")
}

func (s *Server) adminPage(w http.ResponseWriter, r *http.Request, u store.User, status int, flash, msg, newKey string) {
	ctx := r.Context()
	d := adminData{NewKey: newKey, Roles: []string{RoleAgent, RoleSupervisor, RoleAdmin},
		Scopes: []string{api.ScopeSessionsRead, api.ScopeSessionsWrite, api.ScopeCallsRead, api.ScopeCallsWrite, api.ScopeAdmin}}
	var err error
	if d.Users, err = s.st.Users(ctx, u.TenantID); err != nil {
		s.log.Error("web: admin", "err", err)
	}
	if d.Keys, err = s.st.APIKeys(ctx, u.TenantID); err != nil {
		s.log.Error("web: admin", "err", err)
	}
	if d.Settings, err = LoadSettings(ctx, s.st, u.TenantID); err != nil {
		s.log.Error("web: admin", "err", err)
	}
	if t, err := s.st.Tenant(ctx, u.TenantID); err == nil {
		d.Webhook = t.WebhookURL
	}
	s.render(w, r, status, "admin", page{Title: "Admin", User: &u, Flash: flash, Error: msg, Data: d})
}

func (s *Server) adminDone(w http.ResponseWriter, r *http.Request, what string) {
	http.Redirect(w, r, "/admin?done="+url.QueryEscape(what), http.StatusSeeOther)
}

// handleSaveSettings saves one section of the settings form (section=masking, webhook,
// receipt, smtp, gateway). Secret fields left empty keep the stored secret.
func (s *Server) handleSaveSettings(w http.ResponseWriter, r *http.Request, u store.User) {
	ctx := r.Context()
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	for k, vs := range r.PostForm {
		for _, v := range vs {
			if k != csrfField && store.LooksLikeCard(v) {
				s.adminPage(w, r, u, http.StatusUnprocessableEntity, "", "A value looks like a card number and was refused.", "")
				return
			}
		}
	}
	set := map[string]string{}
	secret := func(name, field string) {
		if v := f(field); v != "" {
			set[name] = v
		}
	}
	bad := ""
	section := f("section")
	switch section {
	case "masking":
		ms, mm, ac := f("mask_style"), f("mask_mode"), f("activation_code")
		if ms != "last4" && ms != "first6last4" {
			bad = "Card number display: choose last four or first six and last four."
		} else if mm != "tone" && mm != "digit" && mm != "silence" && mm != "noise" {
			bad = "Masking signal: choose tone, digit, silence or noise."
		} else if strings.Trim(ac, "0123456789*#") != "" || len(ac) > 16 {
			bad = "Activation code: up to 16 keypad keys (0-9, * and #)."
		}
		set[setMaskStyle], set[setMaskMode], set[setActivation] = ms, mm, ac
	case "webhook":
		wu, sec := f("webhook_url"), f("webhook_secret")
		if wu != "" {
			p, err := url.Parse(wu)
			if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
				bad = "Webhook URL: enter an https URL."
				break
			}
		}
		t, err := s.st.Tenant(ctx, u.TenantID)
		if err != nil {
			bad = "Could not read the tenant."
			break
		}
		if sec == "" {
			sec = t.WebhookSecret
		}
		if wu != "" && len(sec) < 16 {
			bad = "Webhook secret: at least 16 characters (it signs every delivery)."
			break
		}
		if err := s.st.SetWebhook(ctx, u.TenantID, wu, sec); err != nil {
			bad = "Could not save the webhook."
		}
	case "receipt":
		name, logo, col := f("receipt_name"), f("receipt_logo"), f("receipt_colour")
		if logo != "" && !strings.HasPrefix(logo, "https://") {
			bad = "Logo: an https URL of an image."
		} else if col != "" && !colourRE.MatchString(col) {
			bad = "Colour: #rrggbb."
		} else if len(name) > 100 {
			bad = "Name: at most 100 characters."
		}
		set[setReceiptName], set[setReceiptLogo], set[setReceiptColour] = name, logo, col
	case "smtp":
		port := f("smtp_port")
		if n, err := strconv.Atoi(port); port != "" && (err != nil || n < 1 || n > 65535) {
			bad = "SMTP port: 1 to 65535."
		}
		set[setSMTPHost], set[setSMTPPort], set[setSMTPFrom], set[setSMTPUser] = f("smtp_host"), port, f("smtp_from"), f("smtp_username")
		secret(setSMTPPassword, "smtp_password")
	case "gateway":
		gw := f("gateway")
		if gw != "test" && gw != "stripe" && gw != "http" {
			bad = "Gateway: test, stripe or http."
		}
		if hu := f("http_gateway_url"); hu != "" {
			if p, err := url.Parse(hu); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
				bad = "HTTP gateway URL: an https URL."
			}
		}
		set[setGateway], set[setHTTPGatewayURL] = gw, f("http_gateway_url")
		secret(setStripeKey, "stripe_secret_key")
		secret(setHTTPGatewaySec, "http_gateway_secret")
	default:
		bad = "Unknown settings section."
	}
	if bad != "" {
		s.adminPage(w, r, u, http.StatusUnprocessableEntity, "", bad, "")
		return
	}
	for k, v := range set {
		if err := s.st.SetSetting(ctx, u.TenantID, k, v); err != nil {
			s.log.Error("web: settings", "err", err)
			s.adminPage(w, r, u, http.StatusInternalServerError, "", "Could not save the settings.", "")
			return
		}
	}
	s.audit(ctx, u, "web.settings", section, "")
	done := "Settings saved."
	if section == "masking" || section == "gateway" {
		done = "Settings saved. They apply when Hushpay next starts."
	}
	s.adminDone(w, r, done)
}

func (s *Server) handleCreateUser(w http.ResponseWriter, r *http.Request, u store.User) {
	name := strings.ToLower(strings.TrimSpace(r.PostFormValue("username")))
	role, pw := r.PostFormValue("role"), r.PostFormValue("password")
	msg := ""
	switch {
	case !ValidUsername(name):
		msg = "Username: 2 to 64 of a-z, 0-9, dot, dash and underscore."
	case roleRank(role) == 0:
		msg = "Choose a role."
	case len(pw) < 12 || len(pw) > 1024:
		msg = "Password: at least 12 characters."
	}
	if msg == "" {
		h, err := HashPassword(pw, s.opts.Argon2)
		if err == nil {
			err = s.st.CreateUser(r.Context(), &store.User{TenantID: u.TenantID, Username: name, Role: role, PasswordHash: h})
		}
		switch {
		case errors.Is(err, store.ErrConflict):
			msg = "That username is taken."
		case err != nil:
			s.log.Error("web: create user", "err", err)
			msg = "Could not create the user."
		}
	}
	if msg != "" {
		s.adminPage(w, r, u, http.StatusUnprocessableEntity, "", msg, "")
		return
	}
	s.audit(r.Context(), u, "web.user_create", name, role)
	s.adminDone(w, r, "User "+name+" created.")
}

func (s *Server) handleUpdateUser(w http.ResponseWriter, r *http.Request, u store.User) {
	id := r.PathValue("id")
	target, err := s.st.User(r.Context(), id)
	if err != nil || target.TenantID != u.TenantID {
		s.adminPage(w, r, u, http.StatusNotFound, "", "No such user.", "")
		return
	}
	role, pw := r.PostFormValue("role"), r.PostFormValue("password")
	disabled := r.PostFormValue("disabled") != ""
	msg := ""
	switch {
	case roleRank(role) == 0:
		msg = "Choose a role."
	case pw != "" && (len(pw) < 12 || len(pw) > 1024):
		msg = "Password: at least 12 characters."
	case target.ID == u.ID && (role != RoleAdmin || disabled):
		msg = "You cannot take away your own admin role or disable yourself."
	}
	hash := ""
	if msg == "" && pw != "" {
		if hash, err = HashPassword(pw, s.opts.Argon2); err != nil {
			msg = "Could not set the password."
		}
	}
	if msg == "" {
		if err := s.st.UpdateUser(r.Context(), u.TenantID, id, role, disabled, hash); err != nil {
			s.log.Error("web: update user", "err", err)
			msg = "Could not update the user."
		}
	}
	if msg != "" {
		s.adminPage(w, r, u, http.StatusUnprocessableEntity, "", msg, "")
		return
	}
	s.audit(r.Context(), u, "web.user_update", target.Username, role)
	s.adminDone(w, r, "User "+target.Username+" updated.")
}

func (s *Server) handleCreateKey(w http.ResponseWriter, r *http.Request, u store.User) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	_ = r.ParseForm()
	var scopes []string
	for _, sc := range r.PostForm["scope"] {
		ok := false
		for _, a := range api.AllScopes {
			ok = ok || (a == sc && sc != api.ScopeSystem)
		}
		if !ok {
			s.adminPage(w, r, u, http.StatusUnprocessableEntity, "", "Unknown scope.", "")
			return
		}
		scopes = append(scopes, sc)
	}
	if name == "" || len(name) > 100 || len(scopes) == 0 || store.LooksLikeCard(name) {
		s.adminPage(w, r, u, http.StatusUnprocessableEntity, "", "API key: give it a name and at least one scope.", "")
		return
	}
	k, err := api.CreateKey(r.Context(), s.st, u.TenantID, name, "", scopes)
	if err != nil {
		s.log.Error("web: create key", "err", err)
		s.adminPage(w, r, u, http.StatusInternalServerError, "", "Could not create the key.", "")
		return
	}
	s.audit(r.Context(), u, "api_key.create", k.ID, strings.Join(scopes, " "))
	s.adminPage(w, r, u, http.StatusOK, "API key created. Copy it now: it is shown only once.", "", k.Key)
}

func (s *Server) handleRevokeKey(w http.ResponseWriter, r *http.Request, u store.User) {
	id := r.PathValue("id")
	if err := s.st.RevokeAPIKey(r.Context(), u.TenantID, id); err != nil {
		s.adminPage(w, r, u, http.StatusNotFound, "", "No such key.", "")
		return
	}
	s.audit(r.Context(), u, "api_key.revoke", id, "")
	s.adminDone(w, r, "API key revoked.")
}
