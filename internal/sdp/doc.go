// Package sdp parses, rewrites and writes the Session Description Protocol bodies (RFC 4566,
// offer/answer RFC 3264) that SIP carries, as much as a media-anchoring back-to-back user agent
// needs: the connection address and port of each media line, its payload types, rtpmap and
// fmtp attributes, rtcp and rtcp-mux (RFC 5761), and the direction attributes used for hold.
//
// Lines the package does not interpret are kept verbatim and in order, so a rewritten
// description differs from the original only where the rewrite says so.
package sdp
