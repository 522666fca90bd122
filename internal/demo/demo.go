// Package demo is the simulated carrier call of `hushpay demo`: a customer phone that calls
// in through Hushpay's SIP server and talks (a looped tune), and an agent phone (standing in
// for the PBX and the agent's desk phone) that answers. Both are real SIP user agents
// (github.com/emiago/sipgo) sending real RTP over loopback, so the call takes the same path
// as any other: SIP B2BUA, media relay, DTMF detection, masking, capture.
//
// The phones follow the payment: when the agent creates a payment, the agent phone keys its
// call reference (as the agent is asked to), which pairs the call and secures the line;
// then, whenever a card field is collecting, the customer phone keys that field of the
// chosen test card as RFC 4733 telephone-events (or, with InbandDTMF, as tones in the audio,
// which the relay masks towards the agent). Reset and Start again make it key again.
// The card is one of the built-in gateway's public test cards, chosen by name (Cards).
package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/hushpay/hushpay/internal/capture"
	"github.com/hushpay/hushpay/internal/payment"
)

// Card is a public test card the customer phone can key.
type Card struct {
	PAN, Expiry, CVV string
	// Outcome is what the built-in test gateway answers.
	Outcome string
}

// Cards are the test cards by name. Their numbers are the public test numbers documented
// by the test gateway (internal/payment/testgateway); none is a real card.
var Cards = map[string]Card{
	"approved":     {PAN: "4242424242424242", Expiry: "1230", CVV: "123", Outcome: "approved (Visa)"},
	"declined":     {PAN: "4000000000000002", Expiry: "1230", CVV: "123", Outcome: "declined: card_declined"},
	"insufficient": {PAN: "4000000000009995", Expiry: "1230", CVV: "123", Outcome: "declined: insufficient_funds"},
	"mastercard":   {PAN: "5555555555554444", Expiry: "1129", CVV: "321", Outcome: "approved (Mastercard)"},
	"amex":         {PAN: "378282246310005", Expiry: "0631", CVV: "1234", Outcome: "approved (Amex)"},
}

// CardNames lists the names of Cards, sorted.
func CardNames() []string {
	out := make([]string, 0, len(Cards))
	for n := range Cards {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ErrUnknownCard: no test card has this name.
var ErrUnknownCard = errors.New("demo: unknown test card")

// Options configure the simulated call.
type Options struct {
	// Hushpay is Hushpay's SIP address (host:port, UDP).
	Hushpay string
	// AgentListen is where the agent phone listens for the call Hushpay forwards (host:port,
	// UDP); Hushpay's sip.upstream must point there.
	AgentListen string
	// Host is the loopback (or local) address both phones use for RTP.
	Host netip.Addr
	// Card is the name of the test card the customer keys first ("approved" when empty).
	Card string
	// InbandDTMF makes both phones key tones in the audio instead of RFC 4733 events.
	InbandDTMF bool
	// KeyDelay is how long the customer waits after a prompt before keying (default 700 ms).
	KeyDelay time.Duration
	// Logger (slog.Default() when nil).
	Logger *slog.Logger
}

// Demo runs the two phones and redials when a call ends.
type Demo struct {
	o        Options
	log      *slog.Logger
	customer *phone
	agent    *phone

	mu       sync.Mutex
	card     Card
	cardName string
	up       bool   // the call is answered
	ref      string // call reference of the newest session waiting to be paired
	active   capture.FieldName
	secure   bool
}

// New prepares the phones (binding their RTP sockets).
func New(o Options) (*Demo, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.KeyDelay <= 0 {
		o.KeyDelay = 700 * time.Millisecond
	}
	if o.Card == "" {
		o.Card = "approved"
	}
	c, ok := Cards[o.Card]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownCard, o.Card)
	}
	d := &Demo{o: o, log: o.Logger, card: c, cardName: o.Card}
	var err error
	// The customer hums a tune; the agent a lower, quieter one.
	if d.customer, err = newPhone("customer", o.Host, melody([]float64{523, 659, 784, 659, 587, 0, 698, 880, 784, 0}, 180, -18), o.Logger); err != nil {
		return nil, err
	}
	if d.agent, err = newPhone("agent", o.Host, melody([]float64{262, 0, 330, 0, 392, 0, 0, 0}, 200, -24), o.Logger); err != nil {
		d.customer.close()
		return nil, err
	}
	d.customer.inband, d.agent.inband = o.InbandDTMF, o.InbandDTMF
	return d, nil
}

// SetCard chooses the test card the customer keys from now on.
func (d *Demo) SetCard(name string) error {
	c, ok := Cards[name]
	if !ok {
		return fmt.Errorf("%w: %q (known: %v)", ErrUnknownCard, name, CardNames())
	}
	d.mu.Lock()
	d.card, d.cardName = c, name
	d.mu.Unlock()
	return nil
}

// Heard reports what each phone heard from the other side: key presses (RFC 4733 events or
// tones in the audio, found by our DTMF detector) and the number of RTP packets received.
// In secure mode the relay masks the customer's digits, so the agent phone hears at most the
// masking digit (media.mask.digit) for them; the customer phone hears the call reference the
// agent phone keyed (agent-to-customer audio is never altered).
type Heard struct {
	Agent           string `json:"agent"`
	AgentPackets    int    `json:"agent_packets"`
	Customer        string `json:"customer"`
	CustomerPackets int    `json:"customer_packets"`
}

// Heard returns what the phones heard so far.
func (d *Demo) Heard() Heard {
	var h Heard
	h.Agent, h.AgentPackets = d.agent.Heard()
	h.Customer, h.CustomerPackets = d.customer.Heard()
	return h
}

// CardName is the name of the card the customer keys.
func (d *Demo) CardName() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cardName
}

// Run starts the agent phone, then calls in from the customer phone and calls again
// whenever the call ends, until ctx ends.
func (d *Demo) Run(ctx context.Context) error {
	defer d.customer.close()
	defer d.agent.close()
	go d.customer.run(ctx)
	go d.agent.run(ctx)

	agentUA, err := sipgo.NewUA(sipgo.WithUserAgent("Hushpay demo agent phone"), sipgo.WithUserAgentHostname(d.o.Host.String()))
	if err != nil {
		return err
	}
	defer agentUA.Close()
	srv, err := sipgo.NewServer(agentUA)
	if err != nil {
		return err
	}
	acli, err := sipgo.NewClient(agentUA, sipgo.WithClientHostname(d.o.Host.String()))
	if err != nil {
		return err
	}
	ahost, aport, _ := net.SplitHostPort(d.o.AgentListen)
	ap, _ := strconv.Atoi(aport)
	adlg := sipgo.NewDialogServerCache(acli, sip.ContactHeader{Address: sip.Uri{User: "agent", Host: ahost, Port: ap}})
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		ds, err := adlg.ReadInvite(req, tx)
		if err != nil {
			d.log.Warn("demo: agent phone", "err", err)
			return
		}
		if err := d.agent.setRemote(req.Body()); err != nil {
			_ = ds.Respond(488, "Not Acceptable Here", nil)
			return
		}
		_ = ds.Respond(180, "Ringing", nil)
		if err := ds.RespondSDP(d.agent.offer()); err != nil {
			d.log.Warn("demo: agent phone answer", "err", err)
			return
		}
		<-ds.Context().Done()
	})
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { _ = adlg.ReadAck(req, tx) })
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if err := adlg.ReadBye(req, tx); err != nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call Does Not Exist", nil))
		}
	})
	srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	ln, err := net.ListenPacket("udp", d.o.AgentListen)
	if err != nil {
		return fmt.Errorf("demo: agent phone: %w", err)
	}
	go func() { _ = srv.ServeUDP(ln) }()
	defer ln.Close()

	custUA, err := sipgo.NewUA(sipgo.WithUserAgent("Hushpay demo customer phone"), sipgo.WithUserAgentHostname(d.o.Host.String()))
	if err != nil {
		return err
	}
	defer custUA.Close()
	ccli, err := sipgo.NewClient(custUA, sipgo.WithClientHostname(d.o.Host.String()))
	if err != nil {
		return err
	}
	// The customer phone receives in-dialog requests (BYE from Hushpay) on its own port.
	csrv, err := sipgo.NewServer(custUA)
	if err != nil {
		return err
	}
	cln, err := net.ListenPacket("udp", net.JoinHostPort(d.o.Host.String(), "0"))
	if err != nil {
		return err
	}
	defer cln.Close()
	cport := cln.LocalAddr().(*net.UDPAddr).Port
	cdlg := &sipgo.DialogUA{Client: ccli, ContactHDR: sip.ContactHeader{Address: sip.Uri{User: "customer", Host: d.o.Host.String(), Port: cport}}}
	var (
		dmu sync.Mutex
		cur *sipgo.DialogClientSession
	)
	csrv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		dmu.Lock()
		s := cur
		dmu.Unlock()
		if s != nil {
			_ = s.ReadBye(req, tx)
			return
		}
		_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call Does Not Exist", nil))
	})
	go func() { _ = csrv.ServeUDP(cln) }()

	for ctx.Err() == nil {
		s, err := d.call(ctx, cdlg)
		if err != nil {
			d.log.Warn("demo: customer call failed; calling again shortly", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(2 * time.Second):
			}
			continue
		}
		dmu.Lock()
		cur = s
		dmu.Unlock()
		d.mu.Lock()
		d.up = true
		ref := d.ref
		d.mu.Unlock()
		d.log.Info("demo: customer call answered")
		if ref != "" {
			d.agent.key(ref, 1500*time.Millisecond)
		}
		select {
		case <-ctx.Done():
			bctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_ = s.Bye(bctx)
			cancel()
		case <-s.Context().Done():
			d.log.Info("demo: call ended; calling again")
		}
		d.mu.Lock()
		d.up, d.secure, d.active = false, false, ""
		d.mu.Unlock()
		d.customer.stopKeying()
		d.agent.stopKeying()
		s.Close()
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
	return nil
}

// call dials Hushpay from the customer phone and waits for the answer.
func (d *Demo) call(ctx context.Context, dlg *sipgo.DialogUA) (*sipgo.DialogClientSession, error) {
	host, port, err := net.SplitHostPort(d.o.Hushpay)
	if err != nil {
		return nil, err
	}
	p, _ := strconv.Atoi(port)
	to := sip.Uri{User: "payments", Host: host, Port: p}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	s, err := dlg.Invite(cctx, to, d.customer.offer(), sip.NewHeader("Content-Type", "application/sdp"))
	if err != nil {
		return nil, err
	}
	if err := s.WaitAnswer(cctx, sipgo.AnswerOptions{}); err != nil {
		s.Close()
		return nil, err
	}
	if err := d.customer.setRemote(s.InviteResponse.Body()); err != nil {
		_ = s.Bye(ctx)
		s.Close()
		return nil, err
	}
	if err := s.Ack(cctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// PaymentEvent drives the phones from the payment service's events; give it every event
// (payment.Options.OnEvent). It never blocks.
func (d *Demo) PaymentEvent(e *payment.Event) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch e.Type {
	case payment.EventSessionCreated:
		// The agent reads the call reference off the screen and keys it.
		d.ref = e.Data.String("call_ref")
		if d.up && d.ref != "" {
			d.agent.key(d.ref, 1500*time.Millisecond)
		}
		return
	case payment.EventSecureOn:
		d.secure, d.ref = true, ""
	case payment.EventSecureOff, payment.EventSessionCancelled, payment.EventPaymentApproved:
		d.secure = false
	}
	v, ok := e.Data.Get("capture")
	view, isView := v.(capture.View)
	if !ok || !isView {
		return
	}
	// A prompt makes the customer key the active field from its start: it started, was
	// reset, the capture started again, or the last attempt was not valid ("please key it
	// again"; a key still held when the agent pressed Reset lands in the new attempt).
	prompt := e.Type == payment.EventCaptureFieldStarted || e.Type == payment.EventCaptureFieldReset ||
		e.Type == payment.EventCaptureRestarted || e.Type == payment.EventCaptureFieldInvalid
	if view.Active == "" || !d.secure {
		d.active = ""
		if e.Type != payment.EventCaptureDigit {
			d.customer.stopKeying()
		}
		return
	}
	if view.Active == d.active && !prompt {
		return
	}
	d.active = view.Active
	d.customer.key(d.digitsFor(view.Active), d.o.KeyDelay)
}

// digitsFor is what the customer keys for a field, with the terminator where the field
// has no fixed length.
func (d *Demo) digitsFor(f capture.FieldName) string {
	switch f {
	case capture.FieldCardNumber:
		return d.card.PAN + "#"
	case capture.FieldExpiry:
		return d.card.Expiry
	case capture.FieldSecurityCode:
		return d.card.CVV
	case capture.FieldPostalCode:
		return "21#"
	}
	return "1234#"
}
