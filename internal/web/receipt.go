package web

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"html/template"
	"mime"
	"net"
	"net/http"
	"net/mail"
	"net/smtp"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hushpay/hushpay/internal/payment"
	"github.com/hushpay/hushpay/internal/store"
)

var colourRE = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// receiptTmpl is the HTML part of a receipt e-mail. It carries the masked card only.
var receiptTmpl = template.Must(template.New("receipt").Parse(`<!doctype html><html><body style="font-family:sans-serif;color:#1a1a1a">
<div style="border-top:6px solid {{.Colour}};padding:16px;max-width:560px">
{{if .Logo}}<img src="{{.Logo}}" alt="{{.Name}}" style="max-height:48px">{{end}}
<h1 style="font-size:20px">{{.Name}}: payment receipt</h1>
<table style="border-collapse:collapse">
<tr><td style="padding:4px 12px 4px 0">Amount</td><td><strong>{{.Amount}}</strong></td></tr>
<tr><td style="padding:4px 12px 4px 0">Type</td><td>{{.Type}}</td></tr>
<tr><td style="padding:4px 12px 4px 0">Card</td><td>{{.Card}}</td></tr>
<tr><td style="padding:4px 12px 4px 0">Authorisation code</td><td>{{.AuthCode}}</td></tr>
<tr><td style="padding:4px 12px 4px 0">Reference</td><td>{{.Ref}}</td></tr>
<tr><td style="padding:4px 12px 4px 0">Date</td><td>{{.Date}}</td></tr>
<tr><td style="padding:4px 12px 4px 0">Payment ID</td><td>{{.ID}}</td></tr>
</table></div></body></html>`))

type receiptData struct {
	Name, Logo, Colour, Amount, Type, Card, AuthCode, Ref, Date, ID string
}

func (s *Server) handleReceipt(w http.ResponseWriter, r *http.Request, u store.User) {
	sess, err := s.session(r, u)
	if err != nil {
		s.notFound(w, r, u, err)
		return
	}
	to := strings.TrimSpace(r.PostFormValue("email"))
	msg := ""
	if err := s.sendReceipt(r.Context(), sess, to); err != nil {
		msg = err.Error()
		if !errors.Is(err, ErrReceipt) {
			s.log.Error("web: receipt", "err", err)
			msg = "The receipt could not be sent."
		}
	} else {
		s.audit(r.Context(), u, "session.receipt", sess.ID, "")
	}
	v := s.viewOf(r, sess)
	if msg == "" {
		v.Message = "Receipt sent to " + to + "."
	} else {
		v.Message = msg
	}
	if wantsJSON(r) {
		status := http.StatusOK
		if msg != "" {
			status = http.StatusUnprocessableEntity
		}
		writeJSON(w, status, v)
		return
	}
	p := page{Title: "Payment", User: &u, Data: v}
	if msg != "" {
		p.Error = msg
	} else {
		p.Flash = v.Message
	}
	s.render(w, r, http.StatusOK, "payment", p)
}

// sendReceipt e-mails the approved session's receipt through the admin's SMTP server.
func (s *Server) sendReceipt(ctx context.Context, sess *payment.Session, to string) error {
	if sess.Status != payment.StatusApproved || sess.Result == nil {
		return fmt.Errorf("%w: only an approved payment has a receipt", ErrReceipt)
	}
	addr, err := mail.ParseAddress(to)
	if err != nil || addr.Address != to || len(to) > 254 || store.LooksLikeCard(to) {
		return fmt.Errorf("%w: %q is not an e-mail address", ErrReceipt, to)
	}
	set, err := LoadSettings(ctx, s.st, sess.Tenant)
	if err != nil {
		return err
	}
	if set.SMTPHost == "" || set.SMTPFrom == "" {
		return fmt.Errorf("%w: e-mail is not set up; an admin sets the SMTP server in the admin console", ErrReceipt)
	}
	d := receiptData{Name: set.ReceiptName, Logo: set.ReceiptLogo, Colour: set.ReceiptColour, Amount: formatAmount(sess.Amount, sess.Currency),
		Type: string(sess.Type), Card: strings.TrimSpace(brandName(sess.Result.Brand) + " " + sess.Result.MaskedPAN(0)),
		AuthCode: sess.Result.AuthCode, Ref: sess.AccountRef, Date: sess.Result.At.UTC().Format("2006-01-02 15:04 UTC"), ID: sess.ID}
	if d.Name == "" {
		d.Name = "Hushpay"
	}
	if !colourRE.MatchString(d.Colour) {
		d.Colour = "#1f4e8c"
	}
	if !strings.HasPrefix(d.Logo, "https://") {
		d.Logo = ""
	}
	var html bytes.Buffer
	if err := receiptTmpl.Execute(&html, d); err != nil {
		return err
	}
	text := fmt.Sprintf("%s: payment receipt\r\n\r\nAmount: %s\r\nType: %s\r\nCard: %s\r\nAuthorisation code: %s\r\nReference: %s\r\nDate: %s\r\nPayment ID: %s\r\n",
		d.Name, d.Amount, d.Type, d.Card, d.AuthCode, d.Ref, d.Date, d.ID)
	boundary := randomToken()[:24]
	var m bytes.Buffer
	fmt.Fprintf(&m, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=%q\r\n\r\n",
		set.SMTPFrom, to, mime.QEncoding.Encode("utf-8", d.Name+" receipt "+d.Amount), time.Now().UTC().Format(time.RFC1123Z), boundary)
	fmt.Fprintf(&m, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", boundary, text)
	fmt.Fprintf(&m, "--%s\r\nContent-Type: text/html; charset=utf-8\r\n\r\n%s\r\n--%s--\r\n", boundary, strings.ReplaceAll(html.String(), "\n", "\r\n"), boundary)
	if store.LooksLikeCard(m.String()) { // cannot happen with masked values; fail closed all the same
		return fmt.Errorf("%w: refused (card-shaped content)", ErrReceipt)
	}
	port := set.SMTPPort
	if port == 0 {
		port = 25
	}
	if err := s.smtpSend(ctx, net.JoinHostPort(set.SMTPHost, strconv.Itoa(port)), set, to, m.Bytes()); err != nil {
		return fmt.Errorf("%w: the mail server refused it or did not answer", ErrReceipt)
	}
	return nil
}

// smtpSend delivers one message (RFC 5321), with STARTTLS when the server offers it and
// AUTH PLAIN when a username is set (net/smtp refuses PLAIN without TLS, except on
// localhost).
func (s *Server) smtpSend(ctx context.Context, addr string, set Settings, to string, msg []byte) error {
	d := net.Dialer{Timeout: 10 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	host, _, _ := net.SplitHostPort(addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}); err != nil {
			return err
		}
	}
	if set.SMTPUsername != "" {
		if err := c.Auth(smtp.PlainAuth("", set.SMTPUsername, set.SMTPPassword, host)); err != nil {
			return err
		}
	}
	from, err := mail.ParseAddress(set.SMTPFrom)
	if err != nil {
		return err
	}
	if err := c.Mail(from.Address); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return err
	}
	wc, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := wc.Write(msg); err != nil {
		return err
	}
	if err := wc.Close(); err != nil {
		return err
	}
	return c.Quit()
}
