package sip

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/hushpay/hushpay/internal/logging"
	"github.com/hushpay/hushpay/internal/media"
	"github.com/hushpay/hushpay/internal/payment"
	"github.com/hushpay/hushpay/internal/sdp"
)

// passHeaders are carried from the caller's INVITE to the upstream one: identity, diversion,
// call information, and the credentials of a retried INVITE (digest authentication is passed
// through: the upstream challenges, the caller answers).
var passHeaders = []string{
	"Authorization", "Proxy-Authorization", "P-Asserted-Identity", "P-Preferred-Identity",
	"Privacy", "Remote-Party-ID", "Diversion", "History-Info", "Subject", "Priority",
	"Call-Info", "Alert-Info", "User-to-User", "Accept-Language",
}

// passResponseHeaders are carried back from an upstream final response to the caller.
var passResponseHeaders = []string{
	"WWW-Authenticate", "Proxy-Authenticate", "Retry-After", "Warning", "Reason",
	"Unsupported", "Accept", "Allow", "Error-Info",
}

// onInvite handles every INVITE: in-dialog ones are re-INVITEs, the others new calls.
func (s *Server) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && to.Params != nil && to.Params.Has("tag") {
		s.onInDialog(req, tx)
		return
	}
	if req.From() == nil || req.To() == nil || req.CallID() == nil || req.CSeq() == nil || req.Contact() == nil {
		s.respond(tx, req, sip.StatusBadRequest, "Missing Mandatory Header")
		return
	}
	if mf := req.MaxForwards(); mf != nil && mf.Val() == 0 {
		s.respond(tx, req, sip.StatusTooManyHops, "Too Many Hops") // RFC 3261 §16.3 step 3
		return
	}
	if c, _ := s.reg.bySIPCallID(req.CallID().Value()); c != nil {
		// A second INVITE of a call being set up (a retransmission with a new branch, or a
		// merged request, RFC 3261 §8.2.2.2).
		s.respond(tx, req, sip.StatusLoopDetected, "Merged Request")
		return
	}
	var offer []byte
	if len(req.Body()) > 0 {
		if ct := req.ContentType(); ct == nil || !isSDP(ct.Value()) {
			s.respond(tx, req, sip.StatusUnsupportedMediaType, "Unsupported Media Type", sip.NewHeader("Accept", "application/sdp"))
			return
		}
		if _, err := sdp.Parse(req.Body()); err != nil {
			s.respond(tx, req, sip.StatusBadRequest, "Bad SDP", sip.NewHeader("Warning", `399 hushpay "`+warnText(err)+`"`))
			return
		}
		offer = req.Body()
	}
	user := req.Recipient.User
	mode := ModeInline
	switch {
	case s.confNums[user]:
		mode = ModeConference
	case s.ivrNums[user]:
		mode = ModeIVR
	}
	var upstream sip.Uri
	if mode == ModeInline {
		src, _ := netip.ParseAddrPort(req.Source())
		up, ok := s.router.Pick(user, src.Addr())
		if !ok {
			s.respond(tx, req, sip.StatusNotFound, "No Route")
			return
		}
		upstream = up
	}
	if !s.reg.reserve() {
		s.respond(tx, req, sip.StatusServiceUnavailable, "Call Limit Reached", sip.NewHeader("Retry-After", "5"))
		return
	}
	// Tell the caller at once that the INVITE arrived (RFC 3261 §17.2.1: stops its
	// retransmissions while the upstream is contacted).
	s.respond(tx, req, sip.StatusTrying, "Trying")

	c, err := s.newCall(req, mode)
	if err != nil {
		s.reg.release()
		code, reason := sip.StatusInternalServerError, "Media Relay Failure"
		if errors.Is(err, media.ErrNoPorts) {
			code, reason = sip.StatusServiceUnavailable, "No Media Ports"
		}
		s.log.Warn("sip: cannot start the call's media", "err", err)
		s.respond(tx, req, code, reason)
		return
	}
	dss, err := s.dua.ReadInvite(req, tx)
	if err != nil {
		s.endCall(c, "bad invite")
		s.respond(tx, req, sip.StatusBadRequest, "Bad Request")
		return
	}
	c.mu.Lock()
	c.dss = dss
	c.mu.Unlock()
	s.reg.add(c)
	s.pairByHeader(c, req)

	switch mode {
	case ModeInline:
		s.runInline(c, req, tx, dss, upstream, offer)
	default:
		s.runUAS(c, tx, dss, offer)
	}
}

func isSDP(ct string) bool {
	t, _, _ := strings.Cut(ct, ";")
	return strings.EqualFold(strings.TrimSpace(t), "application/sdp")
}

// warnText makes an error safe for a Warning header: quoted-string characters only, no
// digit run that could be card data, bounded length.
func warnText(err error) string {
	t := logging.Redact(err.Error())
	t = strings.Map(func(r rune) rune {
		if r < 0x20 || r == '"' || r == '\\' || r > 0x7e {
			return ' '
		}
		return r
	}, t)
	if len(t) > 120 {
		t = t[:120]
	}
	return t
}

// newCall creates the call and its media session; the customer leg's digits go to the
// payment service through the call's digit pump.
func (s *Server) newCall(req *sip.Request, mode Mode) (*call, error) {
	ctx, cancel := context.WithCancel(s.ctx)
	c := &call{
		id: newCallID(), mode: mode, inID: req.CallID().Value(),
		from: req.From().Address.String(), to: req.To().Address.String(), start: time.Now(),
		ctx: ctx, cancel: cancel, state: StateTrying, media: MediaNone,
		digits: make(chan media.DigitEvent, 64), acked: make(chan struct{}), captured: make(chan struct{}),
	}
	if h := s.cfg.PairingHeader; h != "" {
		if v := req.GetHeader(h); v != nil {
			c.header = strings.TrimSpace(v.Value())
		}
	}
	if h := s.cfg.AgentHeader; h != "" {
		if v := req.GetHeader(h); v != nil {
			c.agentID = strings.TrimSpace(v.Value())
		}
	}
	mo := s.opts.Media
	mo.Sink = media.DigitSinkFunc(func(e media.DigitEvent) {
		select {
		case c.digits <- e:
		default:
			s.log.Warn("sip: digit queue full, key press dropped", "call", c.id)
		}
	})
	ms, err := media.NewSession(ctx, mo)
	if err != nil {
		cancel()
		return nil, err
	}
	c.ms = ms
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.pumpDigits(c)
	}()
	return c, nil
}

// pairByHeader pairs the call with the payment session created for its pairing header value.
func (s *Server) pairByHeader(c *call, req *sip.Request) {
	if c.header == "" || s.opts.Payments == nil {
		return
	}
	ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
	defer cancel()
	sess, err := s.opts.Payments.PairCall(ctx, payment.PairByHeader, c.header, c.id)
	if err != nil {
		if !errors.Is(err, payment.ErrNotFound) {
			s.log.Warn("sip: pairing by header", "call", c.id, "err", err)
		}
		return
	}
	s.reg.setSession(c, sess.Tenant, sess.ID, sess.AgentID)
}

// runInline places the agent leg and carries the call across until it is answered or fails.
func (s *Server) runInline(c *call, req *sip.Request, tx sip.ServerTransaction, dss *sipgo.DialogServerSession, up sip.Uri, offer []byte) {
	lateOffer := offer == nil
	var body []byte
	if lateOffer {
		a := c.ms.Leg(media.Agent)
		body = sdp.NewOffer(s.mediaAddr, int(a.LocalRTP().Port()), int(a.LocalRTCP().Port()), a.RTCPMux(), uint64(time.Now().Unix())).Marshal()
	} else {
		var err error
		body, err = s.rewrite(c, media.Customer, offer, true)
		if err != nil {
			s.failCall(c, dss, sip.StatusNotAcceptableHere, "Not Acceptable Here", err)
			return
		}
	}
	out := s.outInvite(req, up, body)
	// No-answer timeout: CANCEL once the upstream sent a provisional response; before that
	// a CANCEL may not be sent (RFC 3261 §9.1), so stop waiting at once and let the
	// transaction time out on its own.
	waitCtx, cancelWaitCause := context.WithCancelCause(c.ctx)
	cancelWait := func() { cancelWaitCause(context.Canceled) }
	defer cancelWait()
	var provisional, timedOut atomic.Bool
	noAnswer := time.AfterFunc(s.cfg.NoAnswer, func() {
		timedOut.Store(true)
		if provisional.Load() {
			cancelWaitCause(context.DeadlineExceeded)
		} else {
			cancelWaitCause(sipgo.WaitAnswerForceCancelErr)
		}
	})
	defer noAnswer.Stop()
	cancelled := make(chan struct{})
	if !tx.OnCancel(func(*sip.Request) {
		close(cancelled)
		cancelWait()
	}) {
		s.endCall(c, "cancelled") // cancelled before we could listen for it
		return
	}
	dcs, err := s.dua.WriteInvite(waitCtx, out)
	if err != nil {
		s.failCall(c, dss, sip.StatusServiceUnavailable, "Upstream Unreachable", err)
		return
	}
	s.reg.addOut(c, out.CallID().Value())
	c.mu.Lock()
	c.dcs = dcs
	c.mu.Unlock()

	err = dcs.WaitAnswer(waitCtx, sipgo.AnswerOptions{OnResponse: func(res *sip.Response) error {
		if res.IsProvisional() {
			provisional.Store(true)
		}
		if !res.IsProvisional() || res.StatusCode == sip.StatusTrying {
			return nil
		}
		var pbody []byte
		if !lateOffer && len(res.Body()) > 0 && isSDPMsg(res) {
			b, err := s.rewrite(c, media.Agent, res.Body(), false)
			if err != nil {
				s.log.Info("sip: provisional response with bad SDP; relayed without it", "call", c.id, "err", err)
			} else {
				pbody = b
				c.mu.Lock()
				c.media = MediaEarly
				c.mu.Unlock()
			}
		}
		pr := sip.NewResponseFromRequest(dss.InviteRequest, res.StatusCode, res.Reason, pbody)
		if pbody != nil {
			pr.AppendHeader(sdpContentType())
		}
		c.mu.Lock()
		c.state = StateEarly
		c.mu.Unlock()
		if err := dss.WriteResponse(pr); err != nil {
			s.log.Debug("sip: relaying provisional response", "call", c.id, "err", err)
		}
		s.reg.notify(EventUpdated, c)
		return nil
	}})
	select {
	case <-cancelled:
		// The caller cancelled: it already has 487 (sent by the transaction layer); the
		// upstream got CANCEL from WaitAnswer. If the upstream answered in the meantime,
		// acknowledge and hang up its leg (RFC 3261 §9.1, CANCEL racing 200).
		if err == nil {
			_ = dcs.Ack(context.Background())
			s.hangup(c, false, true, "cancelled")
			return
		}
		s.endCall(c, "cancelled")
		return
	default:
	}
	if err != nil {
		var de *sipgo.ErrDialogResponse
		switch {
		case errors.As(err, &de):
			s.relayFinal(c, dss, de.Res)
		case timedOut.Load():
			s.failCall(c, dss, sip.StatusRequestTimeout, "No Answer", nil)
		default:
			s.failCall(c, dss, sip.StatusRequestTimeout, "Upstream Did Not Answer", err)
		}
		return
	}
	s.answered(c, tx, dss, dcs, lateOffer)
}

// answered completes the call once the upstream sent 2xx: ACK it, answer the caller, and
// wait for the caller's ACK (missing-ACK timeout ends the call).
func (s *Server) answered(c *call, tx sip.ServerTransaction, dss *sipgo.DialogServerSession, dcs *sipgo.DialogClientSession, lateOffer bool) {
	res := dcs.InviteResponse
	var body []byte
	var err error
	switch {
	case lateOffer:
		if len(res.Body()) > 0 && isSDPMsg(res) {
			if _, err = s.readSDP(c, media.Agent, res.Body()); err == nil {
				cl := c.ms.Leg(media.Customer)
				body = sdp.NewOffer(s.mediaAddr, int(cl.LocalRTP().Port()), int(cl.LocalRTCP().Port()), cl.RTCPMux(), uint64(time.Now().Unix())).Marshal()
			}
		} else {
			err = errors.New("2xx without SDP answer")
		}
	default:
		if len(res.Body()) > 0 && isSDPMsg(res) {
			body, err = s.rewrite(c, media.Agent, res.Body(), false)
		} else {
			err = errors.New("2xx without SDP answer")
		}
	}
	ackCtx, cancel := context.WithTimeout(c.ctx, operationTimeout)
	ackErr := dcs.Ack(ackCtx)
	cancel()
	if ackErr != nil {
		s.log.Warn("sip: ACK to upstream failed", "call", c.id, "err", ackErr)
	}
	if err != nil {
		// The upstream answered with media we cannot anchor: hang up its leg and refuse.
		s.log.Warn("sip: upstream answer unusable", "call", c.id, "err", err)
		go s.byeAgent(c, dcs)
		s.failCall(c, dss, sip.StatusNotAcceptableHere, "Not Acceptable Here", err)
		return
	}
	s.confirm(c, tx, dss, body)
}

// confirm answers the caller with 200 OK and body, and waits for the ACK: retransmitting the
// 200 over UDP, and ending the call after sip.ack_timeout without it. It reports whether the
// ACK came.
func (s *Server) confirm(c *call, tx sip.ServerTransaction, dss *sipgo.DialogServerSession, body []byte) bool {
	ok := sip.NewResponseFromRequest(dss.InviteRequest, sip.StatusOK, "OK", body)
	ok.AppendHeader(sdpContentType())
	ok.AppendHeader(sip.NewHeader("Allow", allow))
	c.mu.Lock()
	c.state = StateAnswered
	c.answered = time.Now()
	if c.media == MediaNone || c.media == MediaEarly {
		c.media = MediaActive
	}
	c.mu.Unlock()
	if ok.Contact() == nil {
		ok.AppendHeader(sip.HeaderClone(&s.dua.ContactHDR))
	}
	// The dialog's InviteResponse is set here, under the call's lock, before anyone can
	// build an in-dialog request from it (they take dss under the same lock).
	c.mu.Lock()
	dss.InviteResponse = ok
	c.mu.Unlock()
	s.reg.notify(EventUpdated, c)
	if err := tx.Respond(ok); err != nil {
		s.log.Debug("sip: 200 OK to caller", "call", c.id, "err", err)
	}
	// RFC 3261 §13.3.1.4: the UAS core retransmits the 2xx over unreliable transports, from
	// T1 doubling up to T2, until the ACK arrives; the call ends after sip.ack_timeout
	// without it.
	interval := sip.T1
	retrans := time.NewTimer(interval)
	defer retrans.Stop()
	if sip.IsReliable(dss.InviteRequest.Transport()) {
		retrans.Stop()
	}
	t := time.NewTimer(s.cfg.AckTimeout)
	defer t.Stop()
	for {
		select {
		case <-c.acked:
			return true
		case <-c.ctx.Done():
			return false
		case <-retrans.C:
			_ = tx.Respond(ok)
			interval = min(2*interval, sip.T2)
			retrans.Reset(interval)
		case <-t.C:
			s.log.Warn("sip: caller never acknowledged the 200 OK; ending the call", "call", c.id)
			s.hangup(c, true, true, "no ack")
			return false
		}
	}
}

// outInvite builds the INVITE towards the upstream: a new dialog (Call-ID, tags) carrying the
// caller's identity, the request-URI user, selected headers and the rewritten offer.
func (s *Server) outInvite(in *sip.Request, up sip.Uri, body []byte) *sip.Request {
	ruri := *up.Clone()
	ruri.User = in.Recipient.User
	out := sip.NewRequest(sip.INVITE, ruri)
	if tp, ok := up.UriParams.Get("transport"); ok && tp != "" {
		out.SetTransport(strings.ToUpper(tp))
	}
	f := in.From()
	ch, retry := s.challenged.take(in.CallID().Value())
	if !retry {
		ch = challenge{callID: sip.GenerateTagN(24) + "@hushpay", fromTag: sip.GenerateTagN(16)}
	}
	from := &sip.FromHeader{DisplayName: f.DisplayName, Address: *f.Address.Clone(), Params: sip.NewParams()}
	from.Params.Add("tag", ch.fromTag)
	t := in.To()
	to := &sip.ToHeader{DisplayName: t.DisplayName, Address: *t.Address.Clone(), Params: sip.NewParams()}
	callID := sip.CallIDHeader(ch.callID)
	cseq := &sip.CSeqHeader{SeqNo: max(in.CSeq().SeqNo, ch.cseq+1), MethodName: sip.INVITE}
	mf := sip.MaxForwardsHeader(70)
	if m := in.MaxForwards(); m != nil {
		mf = sip.MaxForwardsHeader(m.Val() - 1)
	}
	out.AppendHeader(from)
	out.AppendHeader(to)
	out.AppendHeader(&callID)
	out.AppendHeader(cseq)
	out.AppendHeader(&mf)
	for _, name := range passHeaders {
		for _, h := range in.GetHeaders(name) {
			out.AppendHeader(sip.NewHeader(h.Name(), h.Value()))
		}
	}
	for _, h := range in.Headers() {
		if n := h.Name(); len(n) > 2 && strings.EqualFold(n[:2], "X-") {
			out.AppendHeader(sip.NewHeader(n, h.Value()))
		}
	}
	out.AppendHeader(sip.NewHeader("Allow", allow))
	if body != nil {
		out.AppendHeader(sdpContentType())
		out.SetBody(body)
	}
	return out
}

func sdpContentType() sip.Header {
	ct := sip.ContentTypeHeader("application/sdp")
	return &ct
}

func isSDPMsg(m interface{ ContentType() *sip.ContentTypeHeader }) bool {
	ct := m.ContentType()
	return ct != nil && isSDP(ct.Value())
}

// relayFinal passes an upstream final error response back to the caller with the headers
// that give it meaning (challenges, Retry-After, ...), then ends the call.
func (s *Server) relayFinal(c *call, dss *sipgo.DialogServerSession, up *sip.Response) {
	res := sip.NewResponseFromRequest(dss.InviteRequest, up.StatusCode, up.Reason, nil)
	for _, name := range passResponseHeaders {
		for _, h := range up.GetHeaders(name) {
			res.AppendHeader(sip.NewHeader(h.Name(), h.Value()))
		}
	}
	if up.StatusCode >= 300 && up.StatusCode < 400 {
		for _, h := range up.GetHeaders("Contact") {
			res.AppendHeader(sip.NewHeader("Contact", h.Value()))
		}
	}
	if up.StatusCode == sip.StatusUnauthorized || up.StatusCode == sip.StatusProxyAuthRequired {
		if f, cs := up.From(), up.CSeq(); f != nil && cs != nil && up.CallID() != nil {
			tag, _ := f.Params.Get("tag")
			s.challenged.put(c.inID, challenge{callID: up.CallID().Value(), fromTag: tag, cseq: cs.SeqNo})
		}
	}
	s.endCall(c, "rejected "+up.Reason)
	if err := dss.WriteResponse(res); err != nil {
		s.log.Debug("sip: relaying final response", "call", c.id, "err", err)
	}
}

// failCall answers the caller with an error and ends the call.
func (s *Server) failCall(c *call, dss *sipgo.DialogServerSession, code int, reason string, err error) {
	s.log.Info("sip: call failed", "call", c.id, "code", code, "err", err)
	s.endCall(c, reason)
	res := sip.NewResponseFromRequest(dss.InviteRequest, code, reason, nil)
	if err != nil {
		res.AppendHeader(sip.NewHeader("Warning", `399 hushpay "`+warnText(err)+`"`))
	}
	if werr := dss.WriteResponse(res); werr != nil {
		s.log.Debug("sip: error response", "call", c.id, "err", werr)
	}
}
