// Hushpay dashboard: live panel and supervisor updates over Server-sent events, and forms
// sent with fetch so the live stream stays open. No card data ever passes through here:
// the server sends masked views only, and no field of any page takes card digits.
'use strict';
(function () {
  const main = document.getElementById('main');
  const csrf = main ? main.dataset.csrf : '';

  const ERRORS = {
    'invalid-card-number': 'Card number not valid: ask the customer to key it again.',
    'invalid-card-type': 'This card type is not accepted: ask the customer for another card.',
    'invalid-date': 'Expiry not valid: ask the customer to key the month and year as four digits, e.g. 0928.',
    'invalid-security-code': 'Security code not valid: ask for the 3 digits on the back (4 on the front for Amex).',
    'invalid-postal-code': 'Postcode digits not valid: ask the customer to key them again.',
    'invalid-digits': 'Not valid: ask the customer to key it again.',
    'input-timeout': 'No keys for a while: ask the customer to key it again.',
    'too-many-attempts': 'Too many attempts: press Reset to let the customer try again, or offer another way to pay.'
  };
  const BRANDS = { visa: 'Visa', mastercard: 'Mastercard', amex: 'American Express', discover: 'Discover',
    diners: 'Diners Club', jcb: 'JCB', unionpay: 'UnionPay', maestro: 'Maestro' };
  const EVENTS = ['session.created', 'session.paired', 'secure.on', 'secure.off', 'capture.field_started',
    'capture.digit', 'capture.field_complete', 'capture.field_invalid', 'capture.field_reset', 'capture.restarted',
    'capture.complete', 'payment.submitted', 'payment.approved', 'payment.declined', 'payment.failed',
    'payment.in_doubt', 'session.cancelled'];

  function errorText(code) { return code ? (ERRORS[code] || 'Not valid: ask the customer to key it again.') : ''; }
  function progress(f) {
    switch (f.state) {
      case 'complete': return 'complete';
      case 'active': return f.length ? f.length + ' digit(s) keyed' : 'waiting for the customer';
      case 'invalid': return 'not valid';
      case 'failed': return 'failed';
    }
    return 'not asked yet';
  }
  function $(id) { return document.getElementById(id); }

  // --- live panel -------------------------------------------------------------------------
  const panel = $('panel');
  if (panel) {
    const id = panel.dataset.id;
    let state = JSON.parse(panel.dataset.state || '{}');
    let secure = !!state.secure;
    let canReset = secure;

    // renderFields draws one row per field from a masked capture view (event data or
    // state). Only the rows' text and classes change, so focus stays where it is.
    function renderFields(fields, active, brand) {
      for (const f of fields) {
        const row = $('field-' + f.name);
        if (!row) continue;
        row.className = f.state + ((active === f.name || f.active) ? ' active' : '');
        row.querySelector('[data-role=masked]').textContent = f.masked || '';
        const p = row.querySelector('[data-role=progress]');
        p.firstChild.nodeValue = f.progress || progress(f);
        row.querySelector('[data-role=error]').textContent = f.error && f.error.indexOf(' ') > 0 ? f.error : errorText(f.error);
        row.querySelector('[data-role=tick]').innerHTML = f.valid ? '<span aria-label="valid">\u2713</span>' : '';
        const btn = row.querySelector('[data-role=reset]');
        const can = ('can_reset' in f) ? f.can_reset : (canReset && (f.length > 0 || f.state !== 'pending'));
        btn.disabled = !can;
      }
      const b = $('brand');
      if (b && brand !== undefined) b.textContent = BRANDS[brand] || brand || '';
    }

    function render(v) {
      state = v;
      secure = !!v.secure;
      canReset = v.fields.some(f => f.can_reset) || (secure && v.can_cancel);
      $('secure').classList.toggle('on', secure);
      $('secure-text').textContent = secure ? 'Line secure' : 'Line not secure';
      $('status').textContent = v.status_text;
      $('secure-form').hidden = !v.can_secure;
      $('pay-btn').disabled = !v.can_pay;
      $('restart-btn').disabled = !v.can_restart;
      $('cancel-btn').disabled = !v.can_cancel;
      renderFields(v.fields, null, null);
      $('brand').textContent = v.brand || '';
      const res = $('result');
      if (v.result) {
        res.hidden = false;
        res.className = 'result ' + v.result.outcome;
        $('result-head').textContent = v.result.headline;
        const d = $('result-detail');
        d.textContent = '';
        if (v.result.auth_code) {
          d.append('Authorisation code ');
          const s = document.createElement('strong');
          s.id = 'auth-code';
          s.textContent = v.result.auth_code;
          d.append(s, '. ');
        }
        d.append((v.result.reason || '') + ' ' + (v.result.card || ''));
        $('result-next').textContent = v.result.next || '';
        $('receipt-form').hidden = !v.result.receipt;
      } else {
        res.hidden = true;
      }
      showMessage(v.message || '');
    }

    function showMessage(m) {
      const el = $('message');
      el.textContent = m;
      el.hidden = !m;
    }

    let timer = null;
    function refresh() {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        try {
          const r = await fetch('/payments/' + id + '/state', { headers: { Accept: 'application/json' } });
          if (r.ok) render(await r.json());
        } catch (e) { /* the stream reconnects; the next event refreshes */ }
      }, 30);
    }

    const es = new EventSource('/payments/' + id + '/events');
    const onEvent = (ev) => {
      let e;
      try { e = JSON.parse(ev.data); } catch (_) { return; }
      const c = e.data && e.data.capture;
      if (c && c.fields) {
        // Fast path: draw the digits at once from the event itself.
        if (e.type === 'secure.on') secure = true;
        if (e.type === 'secure.off') secure = false;
        canReset = secure;
        renderFields(c.fields, c.active, c.brand);
      }
      if (e.type !== 'capture.digit') refresh();
      panel.dataset.lastEvent = String(e.global_seq);
    };
    for (const t of EVENTS) es.addEventListener(t, onEvent);
    es.onopen = refresh;

    panel.addEventListener('submit', async (ev) => {
      const form = ev.target;
      ev.preventDefault();
      const btn = ev.submitter || form.querySelector('button');
      if (btn) btn.disabled = true;
      try {
        const r = await fetch(form.action, {
          method: 'POST',
          headers: { Accept: 'application/json', 'X-CSRF-Token': csrf },
          body: new URLSearchParams(new FormData(form))
        });
        const ct = r.headers.get('Content-Type') || '';
        if (ct.indexOf('application/json') === 0) {
          render(await r.json());
        } else {
          showMessage('The request failed (' + r.status + '). Reload the page.');
        }
      } catch (e) {
        showMessage('Hushpay did not answer. Check the connection and try again.');
      } finally {
        if (btn && form.id === 'receipt-form') btn.disabled = false;
      }
    });
  }

  // --- supervisor live list ---------------------------------------------------------------
  const live = $('live');
  if (live) {
    let t = null;
    const reload = () => {
      clearTimeout(t);
      t = setTimeout(async () => {
        try {
          const r = await fetch('/supervisor?fragment=1');
          if (r.ok) live.innerHTML = await r.text();
        } catch (e) { /* next event retries */ }
      }, 150);
    };
    const es = new EventSource('/supervisor/events');
    for (const ev of EVENTS) es.addEventListener(ev, reload);
    setInterval(reload, 15000); // calls change without session events
  }

  // --- new payment: show the schedule only for recurring payments --------------------------
  const type = $('type');
  const rec = $('recurring');
  if (type && rec) {
    const sync = () => { rec.hidden = type.value !== 'recurring'; };
    type.addEventListener('change', sync);
    sync();
  }
})();
