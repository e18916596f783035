// Package kis is StocKing's client for the KIS Open API (한국투자증권), the
// market-data source most Korean retail developers use. It has three parts:
//
//   - Client: the REST side. It issues the access token and the WebSocket
//     approval key, reads a listing's current price (Quote) and its daily
//     bars (DailyBars).
//   - Stream: one real-time WebSocket session for H0STCNT0 (KRX trades),
//     kept alive across drops, with a set of codes that may change while it
//     runs.
//   - Feed: a ports.MarketFeed that follows a changing list of codes,
//     streams their trades and hands them to a ports.MarketSink in batches.
//
// # The wire, as KIS speaks it
//
// Domains. Env "real" uses https://openapi.koreainvestment.com:9443 and
// ws://ops.koreainvestment.com:21000; "mock" (모의투자) uses
// https://openapivts.koreainvestment.com:29443 and
// ws://ops.koreainvestment.com:31000. The WebSocket URL gets the path
// /tryitout, which is where KIS's own current samples connect; Config.WSURL
// replaces the whole URL.
//
// Access token. POST /oauth2/tokenP with
// {"grant_type":"client_credentials","appkey","appsecret"} answers
// {"access_token","access_token_token_expired","token_type":"Bearer",
// "expires_in":86400}. KIS refuses a second issue within a minute (HTTP 403,
// error_code EGW00133) and sends a text message to the account holder on
// every issue, so the Client holds one token for the whole process: callers
// that arrive together wait for a single issue, and the token is renewed
// Config.TokenRenewBefore ahead of its expiry. If a renewal fails while the
// old token is still valid, the old token is used and the renewal is retried
// no sooner than a minute later; a caller without a valid token gets KIS's
// EGW00133 refusal again for that minute instead of a new request that would
// be refused too. An answer that says the token expired
// (EGW00123) or is unknown (EGW00121) renews it once and repeats the call.
//
// Approval key. POST /oauth2/Approval with
// {"grant_type":"client_credentials","appkey","secretkey"} — the secret goes
// in a field named secretkey here, not appsecret — answers
// {"approval_key"}. The key authenticates WebSocket subscriptions; it is
// cached like the token and fetched again after a session is refused for it.
//
// REST calls carry the headers authorization ("Bearer <token>"), appkey,
// appsecret, tr_id and custtype ("P"). Every answer has rt_cd ("0" is
// success), msg_cd and msg1; anything else is an *APIError naming both.
// KIS answers errors with HTTP 500 and the same JSON body, so the body is
// read whatever the status. msg_cd EGW00201 means too many calls per second:
// the call is repeated after a jittered, doubling pause, at most
// Config.RateLimitRetries times. All numbers arrive as strings.
//
//   - Current price, tr_id FHKST01010100,
//     GET /uapi/domestic-stock/v1/quotations/inquire-price: output holds
//     stck_prpr, stck_sdpr (base price), stck_mxpr/stck_llam (limits),
//     stck_oprc/stck_hgpr/stck_lwpr, acml_vol, prdy_vrss, prdy_vrss_sign,
//     prdy_ctrt.
//   - Daily bars, tr_id FHKST03010100,
//     GET /uapi/domestic-stock/v1/quotations/inquire-daily-itemchartprice:
//     output1 describes the listing (hts_kor_isnm is its name), output2 lists
//     bars newest first, at most 100 per call. The API has no continuation
//     key for this call, so DailyBars pages by asking again with the end
//     date moved to the day before the oldest bar received.
//
// Real-time trades. The client sends text
// {"header":{"approval_key","custtype":"P","tr_type":"1","content-type":"utf-8"},
// "body":{"input":{"tr_id":"H0STCNT0","tr_key":"005930"}}} to subscribe and
// the same with tr_type "2" to unsubscribe. The server answers each with
// JSON whose header names tr_id and tr_key and whose body carries rt_cd,
// msg_cd and msg1: OPSP0000 SUBSCRIBE SUCCESS, OPSP0001 UNSUBSCRIBE
// SUCCESS, OPSP0002 ALREADY IN SUBSCRIBE, OPSP0008 MAX SUBSCRIBE OVER. It
// sends {"header":{"tr_id":"PINGPONG","datetime":...}} from time to time
// and drops a session that does not send it back; the Stream echoes it
// unchanged as a text message. Trades arrive as plain text
// "0|H0STCNT0|003|rec^rec^rec": an encryption flag, the tr_id, a zero-padded
// record count, then count × 46 fields joined by "^". A frame whose field
// count does not match its record count, or a record that does not parse,
// is logged and skipped; the session carries on. Fields used: 0 code,
// 1 time HHMMSS (Asia/Seoul), 2 price, 10 best ask, 11 best bid, 12 volume
// of the trade, 33 business date YYYYMMDD, 36 shares at the best ask,
// 37 shares at the best bid.
//
// A session holds about 40 subscriptions (Config.MaxSubscriptions). Codes
// beyond it are refused here, before KIS refuses them, with a *CodesError
// that lists them; codes KIS refuses anyway are logged and tried again on
// the next session. After a drop the Stream reconnects with capped,
// jittered exponential backoff and subscribes every wanted code again.
//
// # Details that are easy to get wrong
//
//   - inquire-price has no hts_kor_isnm: the current-price answer does not
//     name the listing. Quote.Name is filled when the field is present and is
//     otherwise empty; the name is in the daily-bars answer (Bars.Name).
//   - KIS's official samples answer PINGPONG with a WebSocket pong control
//     frame carrying the same bytes, other clients with a text echo; KIS
//     accepts both. The Stream sends the text echo, which is what its
//     WebSocket library can send unprompted.
//   - Sessions have been seen to accept 41 subscriptions; 40 is what KIS
//     documents and the default here.
package kis
