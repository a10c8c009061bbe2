package main

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"time"

	"google.golang.org/grpc"

	"github.com/illgw/illgw/config"
	"github.com/illgw/illgw/ncip"
	"github.com/illgw/illgw/ncip/adapter"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

// mountNCIP serves NCIP at /ncip on the HTTP and HTTPS listeners (issue 7
// point 5): the ncip Server with the adapter over the broker connection cc,
// authenticating partners and members' ILSes from the config file.
// The handler is the current snapshot's, so a reload changes partners and
// secrets for the next request.
func (g *gateway) mountNCIP() {
	g.mux.Handle("/ncip", g.current(func(s *snapshot) http.Handler { return s.ncip }))
}

// ncipBodyTimeout bounds how long a partner may take to send one NCIP
// request body (at most 100 KiB), so that a client trickling bytes cannot
// hold a connection and a handler forever (reference/reliability-security.md
// on slow clients).
const ncipBodyTimeout = 10 * time.Second

// bodyDeadline sets a read deadline of d on the connection before h reads
// the request body; a body that has not arrived by then fails to read and
// is answered as unreadable.
type bodyDeadline struct {
	h http.Handler
	d time.Duration
}

func (b bodyDeadline) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(b.d))
	// The server sets its own deadline again before it reads the next
	// request on a kept-alive connection (ReadHeaderTimeout).
	b.h.ServeHTTP(w, r)
}

// ncipServer builds the /ncip handler: partners[] and members' inbound
// secrets authenticate senders, and say which member each acts for.
func ncipServer(cfg *config.Config, cc grpc.ClientConnInterface, log *slog.Logger) *ncip.Server {
	auth, senders := ncipAuth(cfg)
	srv := ncip.NewServer(&adapter.Adapter{
		Circulation: illgwv1.NewCirculationClient(cc),
		Loans:       illgwv1.NewLoansClient(cc),
		Members:     illgwv1.NewMembersClient(cc),
		Senders:     senders,
	})
	srv.Auth = auth
	srv.Logger = log
	if len(senders) == 0 {
		log.Info("ncip: no partners and no member inbound secrets are configured; /ncip will refuse every request with Agency Authentication Failed")
	}
	return srv
}

// ncipAuth returns the authenticator of /ncip and the senders it accepts:
// each partner (partners[]: secret, or client_cert_cn when tls.http has a
// client_ca) acts for its member; each member whose ILS may send to the
// gateway (members[].ncip.inbound_secret) acts for itself, under its NCIP
// agency id.
func ncipAuth(cfg *config.Config) (*senderAuth, map[string]adapter.Sender) {
	a := &senderAuth{partners: &ncip.Partners{Secrets: map[string]string{}}, cns: map[string]string{}}
	senders := map[string]adapter.Sender{}
	for _, p := range cfg.Partners {
		senders[p.Agency] = adapter.Sender{Member: p.Member, Partner: true}
		if p.Secret.Value != "" {
			a.partners.Secrets[p.Agency] = p.Secret.Value
		}
		if p.ClientCertCN != "" {
			a.cns[p.ClientCertCN] = p.Agency
		}
	}
	for i := range cfg.Members {
		m := &cfg.Members[i]
		if m.NCIP == nil || m.NCIP.InboundSecret.Value == "" {
			continue
		}
		agency := m.NCIP.Agency
		if agency == "" {
			agency = m.Code
		}
		senders[agency] = adapter.Sender{Member: m.Code}
		a.partners.Secrets[agency] = m.NCIP.InboundSecret.Value
	}
	return a, senders
}

// senderAuth is ncip.Partners (shared secrets in FromAgencyAuthentication)
// plus partners known by the common name of a verified TLS client
// certificate (config partners[].client_cert_cn).
type senderAuth struct {
	partners *ncip.Partners
	cns      map[string]string
}

// Authenticate implements ncip.Authenticator. A verified client certificate
// whose common name belongs to a partner authenticates that partner; its
// FromAgencyId, when present, must name the same partner.
func (a *senderAuth) Authenticate(ctx context.Context, in *ncip.AuthInput) (string, error) {
	if t := in.TLS; t != nil && len(t.VerifiedChains) > 0 && len(t.PeerCertificates) > 0 {
		cn := t.PeerCertificates[0].Subject.CommonName
		for name, agency := range a.cns {
			if subtle.ConstantTimeCompare([]byte(name), []byte(cn)) != 1 {
				continue
			}
			if from := in.Header.From(); from != "" && from != agency {
				return "", ncip.NewProblem(ncip.ProblemAgencyAuthenticationFailed, "FromAgencyId does not match the client certificate").
					WithElement("InitiationHeader/FromAgencyId", "")
			}
			return agency, nil
		}
	}
	return a.partners.Authenticate(ctx, in)
}
