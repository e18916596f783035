package portone_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stocking-kr/stocking/adapters/portone"
	"github.com/stocking-kr/stocking/domain"
)

// The worked example of the PortOne V2 reference, §7. Every value is copied
// from the document; the test fails if the verifier and the document ever
// disagree.
const (
	exSecret    = "whsec_cG9ydG9uZS1mYWtlLXdlYmhvb2stc2VjcmV0LTAwMDE="
	exID        = "whk-01J8ZP0Q9N3X7V2M4K6T8R5B1C"
	exTimestamp = "1714039200"
	exBody      = `{"type":"Transaction.Paid","timestamp":"2024-04-25T10:00:00.000Z","data":{"paymentId":"ord20240425x0001","storeId":"store-00000000-0000-0000-0000-000000000001","transactionId":"0190f3a2-7c1e-7d55-9a0b-3c4d5e6f7a8b"}}`
	exMACHex    = "e3424459cb8a3c5f7be8f9ec5fabf1e0d0bf010a1bc2d3ceff0cd5cd5c252389"
	exSignature = "v1,40JEWcuKPF976PnsX6vx4NC/AQobwtPO/wzVzVwlI4k="
	// exWrongKeySig is the MAC made with the secret text itself as key,
	// the common bug of step 9.
	exWrongKeySig = "uUjdBE1UTSs8KHvgdmQa9cCNTvCiI/QsogeEyuJYQCY="
)

var exTime = time.Unix(1714039200, 0)

func exHeader() map[string][]string {
	return map[string][]string{
		"webhook-id":        {exID},
		"webhook-timestamp": {exTimestamp},
		"webhook-signature": {exSignature},
	}
}

func mustVerifier(t *testing.T, secrets ...string) *portone.WebhookVerifier {
	t.Helper()
	v, err := portone.NewWebhookVerifier(secrets...)
	if err != nil {
		t.Fatalf("NewWebhookVerifier: %v", err)
	}
	return v
}

// sign is an independent signer for the tests: a verifier tested only
// against its own signing code could share a bug with it.
func sign(t *testing.T, secret, id, ts string, body []byte) string {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func wantReason(t *testing.T, err error, reason string) {
	t.Helper()
	if err == nil {
		t.Fatalf("verified, want rejection %s", reason)
	}
	if !domain.IsCode(err, domain.CodeUnauthorized) {
		t.Fatalf("error %v has code %s, want %s", err, domain.ErrorCode(err), domain.CodeUnauthorized)
	}
	if !strings.Contains(err.Error(), reason) {
		t.Fatalf("error %q does not name %s", err, reason)
	}
}

func TestWorkedExampleVectors(t *testing.T) {
	if len(exBody) != 216 {
		t.Fatalf("example body is %d bytes, the reference says 216", len(exBody))
	}
	key, err := portone.DecodeWebhookSecret(exSecret)
	if err != nil {
		t.Fatal(err)
	}
	if string(key) != "portone-fake-webhook-secret-0001" || len(key) != 32 {
		t.Fatalf("decoded key = %q", key)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(exID + "." + exTimestamp + "." + exBody))
	if got := hex.EncodeToString(m.Sum(nil)); got != exMACHex {
		t.Fatalf("MAC hex = %s, want %s", got, exMACHex)
	}
	if got := sign(t, exSecret, exID, exTimestamp, []byte(exBody)); got != exSignature {
		t.Fatalf("signature = %s, want %s", got, exSignature)
	}
	// The negative vector really is the secret-text-as-key MAC, so the
	// rejection test below exercises exactly that bug.
	bad := hmac.New(sha256.New, []byte(exSecret))
	bad.Write([]byte(exID + "." + exTimestamp + "." + exBody))
	if got := base64.StdEncoding.EncodeToString(bad.Sum(nil)); got != exWrongKeySig {
		t.Fatalf("secret-as-key MAC = %s, want %s", got, exWrongKeySig)
	}
}

func TestWorkedExampleVerifies(t *testing.T) {
	v := mustVerifier(t, exSecret)
	w, err := v.Verify(exHeader(), []byte(exBody), exTime)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	want := domain.WebhookEvent{
		ID:            exID,
		Type:          "Transaction.Paid",
		PaymentID:     "ord20240425x0001",
		StoreID:       "store-00000000-0000-0000-0000-000000000001",
		TransactionID: "0190f3a2-7c1e-7d55-9a0b-3c4d5e6f7a8b",
		Timestamp:     time.Date(2024, 4, 25, 10, 0, 0, 0, time.UTC),
	}
	if w.WebhookEvent != want {
		t.Fatalf("event = %+v\nwant    %+v", w.WebhookEvent, want)
	}
}

func TestWorkedExampleTimestampWindow(t *testing.T) {
	v := mustVerifier(t, exSecret)
	cases := []struct {
		now    int64
		reason string // "" means it verifies
	}{
		{1714039200 - 300, ""},
		{1714039200 + 300, ""},
		{1714039200 - 301, portone.ReasonTimestampTooNew},
		{1714039200 + 301, portone.ReasonTimestampTooOld},
	}
	for _, c := range cases {
		// A sub-second remainder must not move the edges.
		for _, frac := range []time.Duration{0, 999 * time.Millisecond} {
			_, err := v.Verify(exHeader(), []byte(exBody), time.Unix(c.now, 0).Add(frac))
			if c.reason == "" {
				if err != nil {
					t.Errorf("now=%d+%v: %v", c.now, frac, err)
				}
				continue
			}
			if err == nil || !strings.Contains(err.Error(), c.reason) {
				t.Errorf("now=%d+%v: err = %v, want %s", c.now, frac, err, c.reason)
			}
		}
	}
}

func TestSecretTextAsKeyDoesNotVerify(t *testing.T) {
	v := mustVerifier(t, exSecret)
	h := exHeader()
	h["webhook-signature"] = []string{"v1," + exWrongKeySig}
	_, err := v.Verify(h, []byte(exBody), exTime)
	wantReason(t, err, portone.ReasonNoMatchingSignature)
}

func TestSecretWithoutPrefix(t *testing.T) {
	v := mustVerifier(t, strings.TrimPrefix(exSecret, "whsec_"))
	if _, err := v.Verify(exHeader(), []byte(exBody), exTime); err != nil {
		t.Fatalf("bare base64 secret: %v", err)
	}
}

func TestBadSecretsAreConfigurationErrors(t *testing.T) {
	for _, s := range []string{"whsec_", "whsec_not base64!", "not-base64-%%%"} {
		if _, err := portone.NewWebhookVerifier(s); err == nil {
			t.Errorf("secret %q accepted", s)
		}
	}
	if _, err := portone.NewWebhookVerifier(); err == nil {
		t.Error("no secret accepted")
	}
	if _, err := portone.New(portone.Config{APISecret: "x", WebhookSecrets: []string{"whsec_***"}}); err == nil {
		t.Error("client with a malformed webhook secret accepted")
	}
}

func TestSeveralSignatureEntries(t *testing.T) {
	other := "whsec_" + base64.StdEncoding.EncodeToString([]byte("another-secret-of-32-bytes-long!"))
	otherSig := sign(t, other, exID, exTimestamp, []byte(exBody))
	good := strings.TrimPrefix(exSignature, "v1,")
	cases := map[string]string{
		"matching entry second":     otherSig + " " + exSignature,
		"matching entry first":      exSignature + " " + otherSig,
		"undecodable entry skipped": "v1,%%%not-base64%%% " + exSignature,
		"unknown version skipped":   "v2," + good + " " + exSignature,
		"entry without comma":       "garbage " + exSignature,
		"double space":              otherSig + "  " + exSignature,
	}
	v := mustVerifier(t, exSecret)
	for name, sig := range cases {
		h := exHeader()
		h["webhook-signature"] = []string{sig}
		if _, err := v.Verify(h, []byte(exBody), exTime); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}

	// A v2 entry carrying the right MAC must not count as v1.
	h := exHeader()
	h["webhook-signature"] = []string{"v2," + good}
	_, err := v.Verify(h, []byte(exBody), exTime)
	wantReason(t, err, portone.ReasonNoMatchingSignature)

	// Only the other secret signed: no match.
	h["webhook-signature"] = []string{otherSig}
	_, err = v.Verify(h, []byte(exBody), exTime)
	wantReason(t, err, portone.ReasonNoMatchingSignature)
}

func TestRotationWithSeveralConfiguredSecrets(t *testing.T) {
	newSecret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("the-new-secret-after-rotation-01"))
	newSig := sign(t, newSecret, exID, exTimestamp, []byte(exBody))

	// The receiver already knows the new secret and still knows the old
	// one; either signature alone is enough.
	v := mustVerifier(t, newSecret, exSecret)
	for _, sig := range []string{exSignature, newSig, newSig + " " + exSignature} {
		h := exHeader()
		h["webhook-signature"] = []string{sig}
		if _, err := v.Verify(h, []byte(exBody), exTime); err != nil {
			t.Errorf("signature %q: %v", sig, err)
		}
	}
	// One configuration string holding both secrets, as an environment
	// variable would.
	v = mustVerifier(t, newSecret+","+exSecret)
	if _, err := v.Verify(exHeader(), []byte(exBody), exTime); err != nil {
		t.Errorf("comma-separated secrets: %v", err)
	}
}

func TestTampering(t *testing.T) {
	v := mustVerifier(t, exSecret)

	tampered := strings.Replace(exBody, "ord20240425x0001", "ord20240425x0002", 1)
	_, err := v.Verify(exHeader(), []byte(tampered), exTime)
	wantReason(t, err, portone.ReasonNoMatchingSignature)

	// Re-serialising the body (here: pretty-printing) breaks the signature,
	// which is why the raw bytes must be kept.
	_, err = v.Verify(exHeader(), []byte(exBody+"\n"), exTime)
	wantReason(t, err, portone.ReasonNoMatchingSignature)

	h := exHeader()
	h["webhook-id"] = []string{exID + "X"}
	_, err = v.Verify(h, []byte(exBody), exTime)
	wantReason(t, err, portone.ReasonNoMatchingSignature)

	h = exHeader()
	h["webhook-timestamp"] = []string{"1714039201"}
	_, err = v.Verify(h, []byte(exBody), exTime)
	wantReason(t, err, portone.ReasonNoMatchingSignature)
}

func TestHeaderProblems(t *testing.T) {
	v := mustVerifier(t, exSecret)
	for _, name := range []string{"webhook-id", "webhook-timestamp", "webhook-signature"} {
		h := exHeader()
		delete(h, name)
		_, err := v.Verify(h, []byte(exBody), exTime)
		wantReason(t, err, portone.ReasonMissingRequiredHeaders)

		h = exHeader()
		h[name] = []string{""}
		_, err = v.Verify(h, []byte(exBody), exTime)
		wantReason(t, err, portone.ReasonMissingRequiredHeaders)

		h = exHeader()
		h[name] = []string{h[name][0], h[name][0]}
		_, err = v.Verify(h, []byte(exBody), exTime)
		wantReason(t, err, portone.ReasonMissingRequiredHeaders)

		// The same header under two spellings is a duplicate too.
		h = exHeader()
		h[http.CanonicalHeaderKey(name)] = h[name]
		_, err = v.Verify(h, []byte(exBody), exTime)
		wantReason(t, err, portone.ReasonMissingRequiredHeaders)
	}

	_, err := v.Verify(nil, []byte(exBody), exTime)
	wantReason(t, err, portone.ReasonMissingRequiredHeaders)

	h := exHeader()
	h["webhook-timestamp"] = []string{"1714039200.5"}
	_, err = v.Verify(h, []byte(exBody), exTime)
	wantReason(t, err, portone.ReasonInvalidSignature)
}

func TestCanonicalHTTPHeader(t *testing.T) {
	v := mustVerifier(t, exSecret)
	h := http.Header{}
	h.Set("Webhook-Id", exID)
	h.Set("webhook-timestamp", exTimestamp)
	h.Set("WEBHOOK-SIGNATURE", exSignature)
	if _, err := v.Verify(h, []byte(exBody), exTime); err != nil {
		t.Fatalf("canonicalised headers: %v", err)
	}
}

func TestTimestampCheckedBeforeSignature(t *testing.T) {
	v := mustVerifier(t, exSecret)
	h := exHeader()
	h["webhook-signature"] = []string{"v1," + exWrongKeySig}
	_, err := v.Verify(h, []byte(exBody), exTime.Add(time.Hour))
	wantReason(t, err, portone.ReasonTimestampTooOld)
}

func signed(t *testing.T, body string) map[string][]string {
	t.Helper()
	return map[string][]string{
		"webhook-id":        {"whk-test"},
		"webhook-timestamp": {exTimestamp},
		"webhook-signature": {sign(t, exSecret, "whk-test", exTimestamp, []byte(body))},
	}
}

func TestBodies(t *testing.T) {
	v := mustVerifier(t, exSecret)

	body := `{"type":"Transaction.Cancelled","timestamp":"2024-04-26T01:00:01Z","data":{"paymentId":"p1","storeId":"s1","transactionId":"t1","cancellationId":"c1","somethingNew":true},"alsoNew":1}`
	w, err := v.Verify(signed(t, body), []byte(body), exTime)
	if err != nil {
		t.Fatal(err)
	}
	if w.Type != "Transaction.Cancelled" || w.PaymentID != "p1" || w.CancellationID != "c1" || w.ID != "whk-test" ||
		!w.Timestamp.Equal(time.Date(2024, 4, 26, 1, 0, 1, 0, time.UTC)) {
		t.Fatalf("parsed %+v", w)
	}

	// Unknown event types, with data of any shape, reach the caller so it
	// can acknowledge and ignore them.
	body = `{"type":"Something.New","timestamp":"2030-01-01T00:00:00.000Z","data":[1,2,3]}`
	w, err = v.Verify(signed(t, body), []byte(body), exTime)
	if err != nil || w.Type != "Something.New" || w.PaymentID != "" {
		t.Fatalf("unknown type: %+v, %v", w, err)
	}

	body = `{"type":"BillingKey.Issued","timestamp":"2024-04-25T10:00:00.000Z","data":{"billingKey":"bk-1","storeId":"s1"}}`
	w, err = v.Verify(signed(t, body), []byte(body), exTime)
	if err != nil || w.BillingKey != "bk-1" || w.PaymentID != "" {
		t.Fatalf("billing key event: %+v, %v", w, err)
	}

	for _, bad := range []string{`not json`, `{"type":`, `{"timestamp":"x"}`, `{"type":"Transaction.Paid","data":"oops"}`} {
		_, err := v.Verify(signed(t, bad), []byte(bad), exTime)
		if !domain.IsCode(err, domain.CodeInvalid) {
			t.Errorf("body %q: err = %v, want CodeInvalid", bad, err)
		}
	}
}

func TestClientVerifyWebhook(t *testing.T) {
	c, err := portone.New(portone.Config{
		APISecret:      "secret",
		WebhookSecrets: []string{exSecret},
		Now:            func() time.Time { return exTime },
	})
	if err != nil {
		t.Fatal(err)
	}
	// A zero now falls back to the configured clock.
	ev, err := c.VerifyWebhook(exHeader(), []byte(exBody), time.Time{})
	if err != nil || ev.PaymentID != "ord20240425x0001" {
		t.Fatalf("VerifyWebhook: %+v, %v", ev, err)
	}
	_, err = c.VerifyWebhook(exHeader(), []byte(exBody), exTime.Add(301*time.Second))
	wantReason(t, err, portone.ReasonTimestampTooOld)

	unconfigured, err := portone.New(portone.Config{APISecret: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := unconfigured.VerifyWebhook(exHeader(), []byte(exBody), exTime); err == nil {
		t.Fatal("a client without webhook secrets accepted a webhook")
	}
}
