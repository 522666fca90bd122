// End-to-end tests of the Hushpay dashboard in headless Chromium, against `hushpay demo`:
// a real SIP call through Hushpay whose customer phone keys test cards as RFC 4733 events.
//
// Needs Debian's chromium at /usr/bin/chromium and `npm ci` here (playwright-core only; no
// browser is ever downloaded), and the binary ./hushpay (scripts/test builds it). When one
// is missing the tests skip with a message, except with CI=true, where they fail.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const BINARY = join(here, 'hushpay');
const PASSWORD = 'browser-test-password';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'];
const PANS = ['4242424242424242', '4000000000000002'];

// --- what is missing -------------------------------------------------------------------------
let missing = '';
let chromium;
if (!existsSync(CHROMIUM)) missing = `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
else {
  try { ({ chromium } = await import('playwright-core')); } catch { missing = 'playwright-core not installed (run npm ci in test/browser)'; }
}
if (!missing && !existsSync(BINARY)) {
  try {
    execFileSync('go', ['build', '-o', BINARY, './cmd/hushpay'], { cwd: join(here, '..', '..'), stdio: 'inherit' });
  } catch { missing = `no ${BINARY} and go build failed`; }
}
if (missing && process.env.CI === 'true') {
  throw new Error(`browser tests cannot run under CI: ${missing}`);
}
const skip = missing ? `skipped: ${missing}` : false;

// --- the demo, a browser and an SMTP sink ------------------------------------------------------
let demo, base, browser, smtp;
const demoLog = [];
const mails = [];

function startDemo(...extra) {
  return new Promise((resolve, reject) => {
    const p = spawn(BINARY, ['demo', '-http', '127.0.0.1:0', '-password', PASSWORD, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error('demo did not start:\n' + out + demoLog.join(''))), 30000);
    p.stdout.on('data', (b) => {
      out += b;
      const m = out.match(/Open (http:\/\/[0-9.:]+)\//);
      if (m) { clearTimeout(timer); resolve({ p, base: m[1] }); }
    });
    p.stderr.on('data', (b) => demoLog.push(String(b)));
    p.on('exit', (code) => { clearTimeout(timer); reject(new Error(`demo exited (${code}):\n` + demoLog.join(''))); });
  });
}

// startSMTP is a tiny SMTP sink (RFC 5321): it accepts every message and keeps it.
function startSMTP() {
  return new Promise((resolve) => {
    const srv = createServer((sock) => {
      let buf = '', inData = false, msg = '';
      const w = (s) => sock.write(s + '\r\n');
      w('220 sink ESMTP');
      sock.on('data', (d) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\r\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (inData) {
            if (line === '.') { inData = false; mails.push(msg); msg = ''; w('250 queued'); } else msg += line + '\n';
            continue;
          }
          const cmd = line.slice(0, 4).toUpperCase();
          if (cmd === 'EHLO' || cmd === 'HELO') w('250 sink');
          else if (cmd === 'DATA') { inData = true; w('354 end with .'); } else if (cmd === 'QUIT') { w('221 bye'); sock.end(); } else w('250 ok');
        }
      });
      sock.on('error', () => {});
    });
    srv.listen(0, '127.0.0.1', () => resolve(srv));
  });
}

before(async () => {
  if (skip) return;
  ({ p: demo, base } = await startDemo());
  smtp = await startSMTP();
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
});

after(async () => {
  if (browser) await browser.close();
  if (smtp) smtp.close();
  if (demo) {
    demo.removeAllListeners('exit');
    demo.kill('SIGINT');
  }
  const log = demoLog.join('');
  for (const pan of PANS) assert.ok(!log.includes(pan), `the demo's log holds ${pan}`);
});

// newPage opens a 1280x720 page. The tests' own probes (waitForFunction, init scripts) need
// the Content-Security-Policy bypassed; strictCSP keeps it, to check the app runs under it.
async function newPage(strictCSP = false) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 }, acceptDownloads: true, bypassCSP: !strictCSP });
  const page = await ctx.newPage();
  page.setDefaultTimeout(20000);
  return page;
}

async function login(page, user) {
  await page.goto(base + '/login');
  await page.fill('#username', user);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  assert.ok(!page.url().includes('/login'), `${user} could not log in`);
}

// scanFields fails when any form field of the page could take card data: by its name, id,
// autocomplete, or by being a visible text field sized for a card number.
async function scanFields(page) {
  const fields = await page.$$eval('input, textarea, select, [contenteditable]', (els) => els.map((e) => ({
    tag: e.tagName, type: e.getAttribute('type') || '', name: e.getAttribute('name') || '', id: e.id,
    ac: e.getAttribute('autocomplete') || '', max: e.getAttribute('maxlength') || '', value: e.value || ''
  })));
  for (const f of fields) {
    const words = `${f.name} ${f.id} ${f.ac}`;
    assert.ok(!/cc-|card|\bpan\b|cvv|cvc|security|expir/i.test(words) || (f.type === 'hidden' && f.name === 'field'),
      `${page.url()}: field could take card data: ${JSON.stringify(f)}`);
  }
  return fields.length;
}

async function createPayment(page, amount, ref) {
  await page.goto(base + '/payments/new');
  await scanFields(page);
  await page.selectOption('#type', 'sale');
  await page.fill('#amount', amount);
  await page.fill('#currency', 'GBP');
  await page.fill('#account_ref', ref);
  await Promise.all([page.waitForNavigation(), page.click('#new-payment button[type=submit]')]);
  assert.match(page.url(), /\/payments\/ps_/);
  await page.waitForFunction(() => /^\d{4,12}$/.test(document.getElementById('callref').textContent.trim()));
}

const masked = (page, field) => page.textContent(`#field-${field} [data-role=masked]`);

test('agent takes a payment keyed on the demo phone, resets the card number, pays and sends a receipt', { skip }, async (t) => {
  // The admin sets up e-mail for receipts.
  const admin = await newPage();
  await login(admin, 'admin');
  await admin.goto(base + '/admin');
  assert.ok(await scanFields(admin) > 20);
  const port = smtp.address().port;
  await admin.fill('#smtp_host', '127.0.0.1');
  await admin.fill('#smtp_port', String(port));
  await admin.fill('#smtp_from', 'receipts@example.com');
  await Promise.all([admin.waitForNavigation(), admin.click('#smtp-form button[type=submit]')]);
  assert.match(await admin.textContent('.flash'), /saved/);
  await admin.context().close();

  const page = await newPage();
  // Measure each digit from the moment the payment service committed it (the event's time)
  // to the frame that shows it (reported, not asserted: timing is for benchmarks).
  await page.addInitScript(() => {
    window.__lat = [];
    const ES = window.EventSource;
    window.EventSource = function (url, opts) {
      const es = new ES(url, opts);
      es.addEventListener('capture.digit', (ev) => {
        const e = JSON.parse(ev.data);
        const at = Date.parse(e.time.replace(/(\.\d{3})\d+/, '$1'));
        requestAnimationFrame(() => window.__lat.push(Date.now() - at));
      });
      return es;
    };
    window.EventSource.prototype = ES.prototype;
  });
  await login(page, 'agent');
  await createPayment(page, '12.50', 'INV-2041');
  assert.equal((await page.textContent('#secure-text')).trim(), 'Line not secure');
  await scanFields(page);

  const callRef = (await page.textContent('#callref')).trim();
  // The agent phone keys the call reference: the line turns secure.
  await page.waitForSelector('#secure.on', { timeout: 20000 });

  // Masked digits arrive one by one.
  const seen = new Set();
  await page.waitForFunction(() => {
    const m = document.querySelector('#field-card_number [data-role=masked]').textContent;
    window.__seen = (window.__seen || []).concat([m]);
    return m.length >= 5;
  }, null, { polling: 'raf' });
  for (const m of await page.evaluate(() => window.__seen)) seen.add(m);
  const partial = await masked(page, 'card_number');
  assert.match(partial, /^\*{5,}$/, 'digits show as asterisks only');
  assert.ok(seen.size >= 3, `masked value grew one key at a time: ${[...seen].join(' | ')}`);

  // Reset the card number while it is being keyed; the customer keys it again.
  await page.click('#field-card_number [data-role=reset]');
  await page.waitForFunction(() => document.querySelector('#field-card_number [data-role=masked]').textContent.length < 5);
  await page.waitForFunction(() => document.querySelector('#field-card_number [data-role=masked]').textContent === '************4242', null, { timeout: 30000 });
  assert.equal((await page.textContent('#brand')).trim(), 'Visa');
  assert.ok((await page.textContent('#field-card_number [data-role=tick]')).includes('✓'));

  // Expiry in clear, security code as asterisks, then Pay.
  await page.waitForFunction(() => !document.getElementById('pay-btn').disabled, null, { timeout: 30000 });
  assert.equal(await masked(page, 'expiry'), '1230');
  assert.equal(await masked(page, 'security_code'), '***');
  mkdirSync(join(here, '..', '..', 'docs'), { recursive: true });
  await page.screenshot({ path: join(here, '..', '..', 'docs', 'screenshot-live-panel.png') });
  const html = await page.content();
  for (const pan of PANS) assert.ok(!html.includes(pan), 'the page holds the card number');

  const lat = (await page.evaluate(() => window.__lat)).sort((a, b) => a - b);
  if (lat.length) {
    t.diagnostic(`digit event to screen: ${lat.length} digits, median ${lat[lat.length >> 1]} ms, max ${lat.at(-1)} ms`);
  }

  await page.click('#pay-btn');
  await page.waitForSelector('#result.approved');
  assert.equal((await page.textContent('#result-head')).trim(), 'Approved');

  // The agent's phone heard none of the customer's digits: at most the masking digit.
  // (Control: the phones do hear each other, and the customer heard the call reference.)
  const heard = await (await fetch(base + '/demo/heard')).json();
  t.diagnostic(`phones heard: ${JSON.stringify(heard)}`);
  assert.match(heard.agent, /^#*$/, 'the agent heard a card digit');
  assert.ok(heard.agent_packets > 100 && heard.customer_packets > 100, 'the phones hear each other');
  assert.ok(heard.customer.includes(callRef), `the customer phone did not hear the call reference ${callRef}`);
  assert.match(await page.textContent('#auth-code'), /\S+/);

  // Receipt by e-mail.
  await page.fill('#email', 'customer@example.com');
  await page.click('#receipt-btn');
  await page.waitForFunction(() => /Receipt sent/.test(document.getElementById('message').textContent));
  const mail = mails.at(-1);
  assert.ok(mail && mail.includes('************4242'), 'the receipt shows the masked card');
  for (const pan of PANS) assert.ok(!mail.includes(pan), 'the receipt holds the card number');
  await page.context().close();
});

test('a declined card shows the reason and what to do next; another card after Start again is approved', { skip }, async () => {
  const r = await fetch(base + '/demo/card', { method: 'POST', body: new URLSearchParams({ card: 'declined' }) });
  assert.equal(r.status, 200);
  const page = await newPage();
  await login(page, 'agent');
  await createPayment(page, '30.00', 'INV-2077');
  await page.waitForSelector('#secure.on', { timeout: 20000 });
  await page.waitForFunction(() => !document.getElementById('pay-btn').disabled, null, { timeout: 40000 });
  assert.equal(await masked(page, 'card_number'), '************0002');
  await page.click('#pay-btn');
  await page.waitForSelector('#result.declined');
  assert.equal((await page.textContent('#result-head')).trim(), 'Declined');
  assert.match(await page.textContent('#result-detail'), /declined/i);
  assert.match(await page.textContent('#result-next'), /another card/);
  assert.equal(await page.isDisabled('#restart-btn'), false, 'Start again is offered');

  // The customer offers another card: Start again, the phone keys it, Pay is approved.
  await fetch(base + '/demo/card', { method: 'POST', body: new URLSearchParams({ card: 'mastercard' }) });
  await page.click('#restart-btn');
  await page.waitForFunction(() => document.querySelector('#field-card_number [data-role=masked]').textContent === '************4444', null, { timeout: 40000 });
  await page.waitForFunction(() => !document.getElementById('pay-btn').disabled, null, { timeout: 40000 });
  assert.equal((await page.textContent('#brand')).trim(), 'Mastercard');
  await page.click('#pay-btn');
  await page.waitForSelector('#result.approved');
  await page.context().close();
  await fetch(base + '/demo/card', { method: 'POST', body: new URLSearchParams({ card: 'approved' }) });
});

test('supervisor sees sessions live and exports the day as CSV', { skip }, async () => {
  const page = await newPage(true);
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  await login(page, 'supervisor');
  await page.goto(base + '/supervisor');
  // The live list reloads itself when a session changes (under the page's strict CSP).
  await page.waitForSelector('#calls tbody tr');
  await page.evaluate(() => { document.querySelector('#live section').dataset.marker = 'old'; });
  const agent0 = await newPage();
  await login(agent0, 'agent');
  await createPayment(agent0, '5.00', 'INV-LIVE');
  await page.waitForSelector('#live section:not([data-marker])');
  await page.waitForSelector('#sessions >> text=INV-LIVE').catch(() => {});
  assert.match(await page.textContent('#live'), /5\.00 GBP/);
  await agent0.context().close();
  await scanFields(page);
  await page.waitForSelector('#calls tbody tr');
  assert.match(await page.textContent('#calls'), /inline.*(secure|not secure)/s, 'the call and its secure state are listed');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
  const csv = readFileSync(await download.path(), 'utf8');
  const rows = csv.trim().split('\n');
  assert.match(rows[0], /^session_id,created_at,agent,type,status,amount,currency,account_ref/);
  assert.ok(rows.some((r) => r.includes(',approved,12.50,GBP,INV-2041,') && r.includes('************4242')), csv);
  assert.ok(rows.some((r) => r.includes(',approved,30.00,GBP,INV-2077,') && r.includes('************4444')), csv);
  for (const pan of PANS) assert.ok(!csv.includes(pan), 'the CSV holds a card number');
  assert.deepEqual(problems, [], 'no script or CSP errors on the supervisor page');
  await page.goto(base + '/supervisor/history?status=approved');
  await scanFields(page);
  assert.match(await page.textContent('#history'), /INV-2041|approved/);
  // An agent cannot open the supervisor's pages.
  const agent = await newPage();
  await login(agent, 'agent');
  const resp = await agent.goto(base + '/supervisor');
  assert.equal(resp.status(), 403);
  await agent.context().close();
  await page.context().close();
});

test('the login locks out after repeated wrong passwords and pages work by keyboard', { skip }, async () => {
  const page = await newPage();
  await page.goto(base + '/login');
  // Keyboard only: tab to the fields and submit with Enter.
  await page.keyboard.press('Tab'); // skip link
  await page.focus('#username');
  await page.keyboard.type('agent');
  await page.keyboard.press('Tab');
  await page.keyboard.type(PASSWORD);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  assert.match(page.url(), /\/payments\/new/);
  await page.context().close();
  const p2 = await newPage();
  for (let i = 0; i < 5; i++) {
    await p2.goto(base + '/login');
    await p2.fill('#username', 'supervisor');
    await p2.fill('#password', 'wrong password');
    await Promise.all([p2.waitForNavigation(), p2.click('button[type=submit]')]);
  }
  assert.match(await p2.textContent('.error'), /locked/);
  await p2.context().close();
});

test('with tones in the audio (in-band DTMF) the card is captured and the agent hears no digit of it', { skip }, async (t) => {
  const second = await startDemo('-inband');
  const saved = base;
  base = second.base;
  try {
    const page = await newPage();
    await login(page, 'agent');
    await createPayment(page, '9.99', 'INV-INBAND');
    const callRef = (await page.textContent('#callref')).trim();
    await page.waitForSelector('#secure.on', { timeout: 30000 });
    await page.waitForFunction(() => !document.getElementById('pay-btn').disabled, null, { timeout: 60000 });
    assert.equal(await masked(page, 'card_number'), '************4242');
    await page.click('#pay-btn');
    await page.waitForSelector('#result.approved');
    const heard = await (await fetch(base + '/demo/heard')).json();
    t.diagnostic(`phones heard (in-band): ${JSON.stringify(heard)}`);
    assert.match(heard.agent, /^#*$/, 'the agent heard a card digit');
    assert.ok(heard.customer.includes(callRef), 'the customer phone did not hear the call reference');
    await page.context().close();
  } finally {
    base = saved;
    second.p.removeAllListeners('exit');
    second.p.kill('SIGINT');
  }
});
