package ncip

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/hex"
)

// Authenticator decides which partner agency sent a request. The Server
// calls it after decoding and before the Handler. It returns the agency id
// the request acts for, or an error: a *Problem is sent as it is, any other
// error as Agency Authentication Failed.
type Authenticator interface {
	Authenticate(ctx context.Context, in *AuthInput) (agency string, err error)
}

// AuthInput is what an Authenticator may look at.
type AuthInput struct {
	Service string            // the service element name, such as "LookupUser"
	Header  *InitiationHeader // nil when the request had none
	TLS     *tls.ConnectionState
}

// Partners authenticates partner agencies by a shared secret sent in
// InitiationHeader/FromAgencyAuthentication (reference/ncip-ill.md §1.7), or
// by a verified TLS client certificate mapped to an agency. A request with a
// known certificate needs no secret, but its FromAgencyId, when present, must
// name the certificate's agency.
type Partners struct {
	// Secrets maps a FromAgencyId to its shared secret.
	Secrets map[string]string
	// Certificates maps the lower-case hex SHA-256 fingerprint of a client
	// certificate (its DER bytes) to an agency. The server's tls.Config must
	// verify client certificates (ClientCAs with VerifyClientCertIfGiven or
	// RequireAndVerifyClientCert); unverified certificates are ignored.
	Certificates map[string]string
}

// CertificateFingerprint returns the key Partners.Certificates uses for a
// DER-encoded certificate.
func CertificateFingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

func authFailed(detail string) *Problem {
	return NewProblem(ProblemAgencyAuthenticationFailed, detail).WithElement("InitiationHeader/FromAgencyAuthentication", "")
}

// Authenticate implements Authenticator.
func (p *Partners) Authenticate(_ context.Context, in *AuthInput) (string, error) {
	from := in.Header.From()
	if in.TLS != nil && len(in.TLS.VerifiedChains) > 0 && len(in.TLS.PeerCertificates) > 0 {
		if agency, ok := p.Certificates[CertificateFingerprint(in.TLS.PeerCertificates[0].Raw)]; ok {
			if from != "" && from != agency {
				return "", authFailed("FromAgencyId " + truncate(from, 64) + " does not match the client certificate")
			}
			return agency, nil
		}
	}
	if from == "" {
		return "", authFailed("InitiationHeader/FromAgencyId is missing")
	}
	want, known := p.Secrets[from]
	got := ""
	if in.Header != nil {
		got = in.Header.FromAgencyAuthentication
	}
	// Compare digests so that neither the length nor the content of the
	// secret shows in the timing.
	gs, ws := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	if subtle.ConstantTimeCompare(gs[:], ws[:]) != 1 || !known || want == "" {
		return "", authFailed("FromAgencyAuthentication missing or not valid for FromAgencyId " + truncate(from, 64))
	}
	return from, nil
}

type agencyKey struct{}

// AgencyFromContext returns the agency the Server's Authenticator accepted
// for the request being handled, or "" when the Server has no Authenticator.
func AgencyFromContext(ctx context.Context) string {
	s, _ := ctx.Value(agencyKey{}).(string)
	return s
}

// WithAgency returns ctx carrying agency, as the Server passes it to a Handler.
func WithAgency(ctx context.Context, agency string) context.Context {
	return context.WithValue(ctx, agencyKey{}, agency)
}
