// Package web serves Hushpay's browser front-end from the one binary: the agent's dashboard
// (log in, new payment, the live masked capture panel, pay, receipt), the supervisor's
// console (live sessions and calls, history, end-of-day CSV) and the admin console (users,
// API keys, settings). Pages are server-rendered html/template with a little vanilla
// JavaScript; live updates arrive as Server-sent events from the API's own event streams
// (package api), so there is one event path for integrations and people alike.
//
// No page has a field that takes card data: the agent sees the card only as the masked
// view the payment service keeps, and every value the forms send is refused when it looks
// like a card number.
//
// Security: local users with argon2id password hashes (RFC 9106), roles agent < supervisor
// < admin, a login cookie that is HttpOnly and SameSite=Strict (Secure unless configured
// otherwise), a CSRF token on every form and POST, lockout after repeated wrong passwords,
// and a strict Content-Security-Policy (no inline script or style).
package web
