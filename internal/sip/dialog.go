package sip

import (
	"context"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/hushpay/hushpay/internal/dtmf"
	"github.com/hushpay/hushpay/internal/media"
)

// onAck takes the caller's ACK of the 200 OK (an ACK of an in-dialog 2xx is absorbed: the
// B2BUA acknowledged the other side itself). With a late offer the ACK carries the caller's
// answer to Hushpay's offer (RFC 3261 §13.2.1).
func (s *Server) onAck(req *sip.Request, tx sip.ServerTransaction) {
	if req.CallID() == nil || req.CSeq() == nil {
		return
	}
	c, customer := s.reg.bySIPCallID(req.CallID().Value())
	if c == nil || !customer {
		return
	}
	c.mu.Lock()
	dss := c.dss
	c.mu.Unlock()
	if dss == nil || req.CSeq().SeqNo != dss.InviteRequest.CSeq().SeqNo {
		return
	}
	if len(req.Body()) > 0 && isSDPMsg(req) {
		if _, err := s.readSDP(c, media.Customer, req.Body()); err != nil {
			s.log.Info("sip: ACK with bad SDP answer", "call", c.id, "err", err)
		}
	}
	_ = dss.ReadAck(req, tx)
	c.markAcked()
}

// onBye ends a call from either side: answer the BYE, send BYE to the other side.
func (s *Server) onBye(req *sip.Request, tx sip.ServerTransaction) {
	if req.CallID() == nil {
		s.respond(tx, req, sip.StatusBadRequest, "Missing Call-ID")
		return
	}
	c, customer := s.reg.bySIPCallID(req.CallID().Value())
	if c == nil {
		s.respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	c.mu.Lock()
	dss, dcs := c.dss, c.dcs
	c.mu.Unlock()
	if customer {
		if dss != nil {
			if err := dss.ReadBye(req, tx); err != nil {
				s.respond(tx, req, sip.StatusOK, "OK")
			}
		} else {
			s.respond(tx, req, sip.StatusOK, "OK")
		}
		s.hangup(c, false, true, "customer hung up")
		return
	}
	if dcs != nil {
		if err := dcs.ReadBye(req, tx); err != nil {
			s.respond(tx, req, sip.StatusOK, "OK")
		}
	} else {
		s.respond(tx, req, sip.StatusOK, "OK")
	}
	s.hangup(c, true, false, "agent hung up")
}

// hangup ends a call, sending BYE to the sides asked for (or CANCEL / an error response to a
// side whose dialog is not established yet).
func (s *Server) hangup(c *call, customer, agent bool, reason string) {
	c.mu.Lock()
	dss, dcs, state := c.dss, c.dcs, c.state
	c.mu.Unlock()
	if state == StateEnded {
		return
	}
	s.endCall(c, reason)
	done := make(chan struct{}, 2)
	n := 0
	if agent && dcs != nil {
		n++
		go func() { s.byeAgent(c, dcs); done <- struct{}{} }()
	}
	if customer && dss != nil && state != StateAnswered {
		// Not answered yet: a final response ends the INVITE. Not waited for, since
		// sipgo holds it until the caller's ACK (or timer H).
		go func() { _ = dss.Respond(sip.StatusRequestTerminated, "Request Terminated", nil) }()
	} else if customer && dss != nil {
		n++
		go func() {
			defer func() { done <- struct{}{} }()
			ctx, cancel := context.WithTimeout(context.Background(), operationTimeout)
			defer cancel()
			s.byeCustomer(ctx, c, dss)
		}()
	}
	for ; n > 0; n-- {
		<-done
	}
}

// byeCustomer sends BYE on the caller's dialog (RFC 3261 §15.1.1). It is built here rather
// than with DialogServerSession.Bye, which waits for the ACK of the 200 OK: a caller that
// never acknowledged is exactly one to hang up on now.
func (s *Server) byeCustomer(ctx context.Context, c *call, dss *sipgo.DialogServerSession) {
	bye := sip.NewRequest(sip.BYE, remoteTarget(dss.InviteRequest.Contact(), dss.InviteRequest.Recipient))
	tx, err := dss.TransactionRequest(ctx, bye)
	if err != nil {
		s.log.Debug("sip: BYE to caller", "call", c.id, "err", err)
		return
	}
	defer tx.Terminate()
	for {
		select {
		case r := <-tx.Responses():
			if !r.IsProvisional() {
				return
			}
		case <-tx.Done():
			return
		case <-ctx.Done():
			return
		}
	}
}

// byeAgent ends the upstream leg: BYE when it was answered; an INVITE still pending is
// cancelled by the end of the call's context (WaitAnswer sends CANCEL).
func (s *Server) byeAgent(c *call, dcs *sipgo.DialogClientSession) {
	if dcs.InviteResponse == nil || !dcs.InviteResponse.IsSuccess() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), operationTimeout)
	defer cancel()
	if err := dcs.Bye(ctx); err != nil {
		s.log.Debug("sip: BYE to upstream", "call", c.id, "err", err)
	}
}

// endCall releases everything a call holds, once: media ports, its registry entry and slot,
// its payment pairing.
func (s *Server) endCall(c *call, reason string) {
	c.endOnce.Do(func() {
		c.mu.Lock()
		c.state = StateEnded
		c.secure = false
		c.mu.Unlock()
		c.cancel()
		if c.ms != nil {
			st := c.ms.Stats()
			_ = c.ms.Close()
			s.log.Debug("sip: call media", "call", c.id,
				"c2a_received", st.CustomerToAgent.Received, "c2a_sent", st.CustomerToAgent.Sent,
				"c2a_dropped", st.CustomerToAgent.Dropped, "c2a_foreign", st.CustomerToAgent.Foreign,
				"c2a_errors", st.CustomerToAgent.Errors, "a2c_received", st.AgentToCustomer.Received,
				"a2c_sent", st.AgentToCustomer.Sent)
		}
		s.reg.remove(c)
		s.reg.release()
		if s.opts.Payments != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := s.opts.Payments.CallEnded(ctx, c.id); err != nil {
				s.log.Debug("sip: payment call ended", "call", c.id, "err", err)
			}
			cancel()
		}
		s.log.Info("sip: call ended", "call", c.id, "reason", reason)
		s.reg.notify(EventEnded, c)
	})
}

// onInDialog carries an in-dialog request (re-INVITE, UPDATE, INFO, REFER, NOTIFY, MESSAGE)
// to the other side of the call, rewriting SDP, and its final response back. SIP INFO DTMF
// from the customer in secure mode is consumed: the relay reports it to the capture and it
// never reaches the agent.
func (s *Server) onInDialog(req *sip.Request, tx sip.ServerTransaction) {
	if req.CallID() == nil || req.CSeq() == nil {
		s.respond(tx, req, sip.StatusBadRequest, "Missing Mandatory Header")
		return
	}
	c, customer := s.reg.bySIPCallID(req.CallID().Value())
	if c == nil {
		s.respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	from := media.Agent
	if customer {
		from = media.Customer
	}
	if req.Method == sip.INFO && s.infoDigit(c, from, req, tx) {
		return
	}
	c.mu.Lock()
	dss, dcs, mode := c.dss, c.dcs, c.mode
	c.mu.Unlock()
	if mode != ModeInline || (customer && dcs == nil) || (!customer && dss == nil) {
		s.respondLocal(c, req, tx)
		return
	}
	if req.Method == sip.INVITE {
		if !c.reinviting.TryLock() { // RFC 3261 §14.2: one INVITE transaction at a time
			s.respond(tx, req, sip.StatusRequestPending, "Request Pending", sip.NewHeader("Retry-After", "1"))
			return
		}
		defer c.reinviting.Unlock()
	}
	sdpBody := len(req.Body()) > 0 && isSDPMsg(req)
	body := req.Body()
	if sdpBody {
		b, err := s.rewrite(c, from, body, true)
		if err != nil {
			s.respond(tx, req, sip.StatusNotAcceptableHere, "Not Acceptable Here", sip.NewHeader("Warning", `399 hushpay "`+warnText(err)+`"`))
			return
		}
		body = b
		s.reg.notify(EventUpdated, c)
	}
	var target sip.Uri
	if customer {
		target = remoteTarget(dcs.InviteResponse.Contact(), dcs.InviteRequest.Recipient)
	} else {
		target = remoteTarget(dss.InviteRequest.Contact(), dss.InviteRequest.Recipient)
	}
	out := sip.NewRequest(req.Method, target)
	for _, name := range []string{"Content-Type", "Event", "Subscription-State", "Refer-To", "Referred-By", "Info-Package", "Reason", "Session-Expires", "Min-SE"} {
		for _, h := range req.GetHeaders(name) {
			out.AppendHeader(sip.NewHeader(h.Name(), h.Value()))
		}
	}
	out.SetBody(body)
	ctx, cancel := context.WithTimeout(c.ctx, operationTimeout)
	defer cancel()
	var ctx2 sip.ClientTransaction
	var err error
	if customer {
		ctx2, err = dcs.TransactionRequest(ctx, out)
	} else {
		ctx2, err = dss.TransactionRequest(ctx, out)
	}
	if err != nil {
		s.respond(tx, req, sip.StatusServiceUnavailable, "Other Side Unreachable")
		return
	}
	defer ctx2.Terminate()
	var res *sip.Response
wait:
	for {
		select {
		case r := <-ctx2.Responses():
			if r.IsProvisional() {
				continue
			}
			res = r
			break wait
		case <-ctx2.Done():
			break wait
		case <-ctx.Done():
			break wait
		}
	}
	if res == nil {
		s.respond(tx, req, sip.StatusRequestTimeout, "Other Side Did Not Answer")
		return
	}
	var rbody []byte
	if res.IsSuccess() && len(res.Body()) > 0 && isSDPMsg(res) && sdpBody {
		b, err := s.rewrite(c, other(from), res.Body(), false)
		if err != nil {
			s.log.Info("sip: bad SDP answer to an in-dialog offer", "call", c.id, "err", err)
		} else {
			rbody = b
		}
		s.reg.notify(EventUpdated, c)
	} else if !sdpBody && len(res.Body()) > 0 && !isSDPMsg(res) {
		rbody = res.Body()
	}
	if req.Method == sip.INVITE && res.IsSuccess() {
		// The B2BUA acknowledges the other side's 2xx itself (RFC 3261 §13.2.2.4); the
		// originator's ACK is absorbed in onAck.
		ack := sip.NewRequest(sip.ACK, remoteTarget(res.Contact(), target))
		ack.AppendHeader(&sip.CSeqHeader{SeqNo: out.CSeq().SeqNo, MethodName: sip.ACK})
		var werr error
		if customer {
			werr = dcs.WriteRequest(ack)
		} else {
			werr = dss.WriteRequest(ack)
		}
		if werr != nil {
			s.log.Debug("sip: ACK of re-INVITE", "call", c.id, "err", werr)
		}
	}
	back := sip.NewResponseFromRequest(req, res.StatusCode, res.Reason, rbody)
	if rbody != nil {
		if ct := res.ContentType(); ct != nil {
			back.AppendHeader(sip.NewHeader("Content-Type", ct.Value()))
		}
	}
	for _, name := range passResponseHeaders {
		for _, h := range res.GetHeaders(name) {
			back.AppendHeader(sip.NewHeader(h.Name(), h.Value()))
		}
	}
	if res.IsSuccess() && (req.Method == sip.INVITE || req.Method == sip.UPDATE) {
		back.AppendHeader(sip.HeaderClone(&s.dua.ContactHDR))
	}
	if err := tx.Respond(back); err != nil {
		s.log.Debug("sip: in-dialog response", "call", c.id, "err", err)
	}
}

// remoteTarget is the dialog's remote target: the peer's Contact URI (RFC 3261 §12.1.1),
// else the fallback.
func remoteTarget(ct *sip.ContactHeader, fallback sip.Uri) sip.Uri {
	if ct != nil && ct.Address.Host != "" {
		return *ct.Address.Clone()
	}
	return *fallback.Clone()
}

// respondLocal answers an in-dialog request on a leg Hushpay terminates itself (conference
// and IVR legs, or a leg whose other side is not there yet).
func (s *Server) respondLocal(c *call, req *sip.Request, tx sip.ServerTransaction) {
	switch req.Method {
	case sip.INVITE, sip.UPDATE:
		if len(req.Body()) > 0 && isSDPMsg(req) {
			offer, err := s.readSDP(c, media.Customer, req.Body())
			if err != nil {
				s.respond(tx, req, sip.StatusNotAcceptableHere, "Not Acceptable Here")
				return
			}
			body := s.localAnswer(c.ms.Leg(media.Customer), offer)
			res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", body)
			res.AppendHeader(sdpContentType())
			res.AppendHeader(sip.HeaderClone(&s.dua.ContactHDR))
			_ = tx.Respond(res)
			s.reg.notify(EventUpdated, c)
			return
		}
		res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
		res.AppendHeader(sip.HeaderClone(&s.dua.ContactHDR))
		_ = tx.Respond(res)
	case sip.NOTIFY, sip.MESSAGE, sip.INFO:
		s.respond(tx, req, sip.StatusOK, "OK")
	default:
		s.respond(tx, req, sip.StatusNotImplemented, "Not Implemented")
	}
}

// infoDigit handles a SIP INFO carrying DTMF (application/dtmf-relay, application/dtmf). The
// key press goes to the relay so that it is reported once across transports. It returns true
// when the request was consumed: the customer's key in secure mode (never relayed to the
// agent), or any key on a leg Hushpay terminates.
func (s *Server) infoDigit(c *call, from media.LegID, req *sip.Request, tx sip.ServerTransaction) bool {
	ct := req.ContentType()
	if ct == nil {
		return false
	}
	t, _, _ := strings.Cut(ct.Value(), ";")
	t = strings.ToLower(strings.TrimSpace(t))
	if t != "application/dtmf-relay" && t != "application/dtmf" {
		return false
	}
	info, err := dtmf.ParseSIPInfo(t, req.Body())
	if err != nil {
		s.respond(tx, req, sip.StatusBadRequest, "Bad DTMF Body")
		return true
	}
	// Decide before reporting: the report may start secure mode (an agent keying the call
	// reference), and the key that started it is not the customer's.
	consume := from == media.Customer && c.ms.Secure()
	if err := c.ms.SIPInfoDigit(from, info.Digit); err != nil {
		s.log.Debug("sip: INFO digit", "call", c.id, "err", err)
	}
	c.mu.Lock()
	local := c.mode != ModeInline
	c.mu.Unlock()
	if consume || local || (from == media.Customer && c.ms.Secure()) {
		s.respond(tx, req, sip.StatusOK, "OK")
		return true
	}
	return false
}
