package broker

import (
	"log/slog"
	"slices"
	"time"

	"google.golang.org/grpc"

	"github.com/illgw/illgw/broker/loan"
	"github.com/illgw/illgw/broker/member"
	"github.com/illgw/illgw/broker/state"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

// Member is one configured member library as the broker sees it. cmd/illgw
// builds it from the config file's members: section.
type Member struct {
	Code      string
	Name      string
	Protocols []illgwv1.Protocol // outbound protocols configured for it
	Lends     bool
	Borrows   bool
	// Patrons is where the member's patrons are authenticated; Directory
	// is the directory when it is PatronsLDAP.
	Patrons   PatronSource
	Directory PatronDirectory
}

// Options configure a Broker. The broker never reads the config file: the
// daemon maps the file onto these fields.
type Options struct {
	// Store holds loans and every other shared state. Required.
	Store state.Store
	// StoreDriver names the store's driver for Members.Health ("embedded",
	// "redis").
	StoreDriver string
	// Members are the consortium's members in configuration order.
	Members []Member
	// Databases maps each virtual database to its member codes.
	Databases map[string][]string
	// Logger receives the broker's logs; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// PingTimeout bounds the store Ping of Members.Health; 0 means 2s.
	PingTimeout time.Duration
	// Registry holds the outbound clients and breakers of the members
	// (broker/member); the Circulation service routes through it. Nil
	// leaves circulation without any member ILS (FAILED_PRECONDITION).
	Registry *member.Registry
	// Terminals are the self-check kiosk accounts.
	Terminals []Terminal
	// ReplayTTL is how long a terminal's SIP2 replay entry lives in the
	// store; 0 means DefaultReplayTTL.
	ReplayTTL time.Duration
	// Loans configures the loan engine behind the Loans service.
	Loans LoanOptions
	// Search configures the Catalog service (config search:).
	Search SearchOptions
}

// Broker implements the gateway's four gRPC services over the state store.
// Create it with New and attach it to a gRPC server with Register.
type Broker struct {
	store     state.Store
	driver    string
	members   []Member
	byCode    map[string]*Member
	databases map[string][]string
	log       *slog.Logger
	now       func() time.Time
	pingWait  time.Duration
	registry  *member.Registry
	terminals map[string]*Terminal
	replayTTL time.Duration
	loans     *loan.Engine
	catalog   *catalog
}

// New returns a Broker for the given options. It copies the member list, so
// later changes to opts do not reach it.
func New(opts Options) *Broker {
	b := &Broker{
		store:     opts.Store,
		driver:    opts.StoreDriver,
		members:   slices.Clone(opts.Members),
		byCode:    make(map[string]*Member, len(opts.Members)),
		databases: make(map[string][]string, len(opts.Databases)),
		log:       opts.Logger,
		now:       opts.Now,
		pingWait:  opts.PingTimeout,
		registry:  opts.Registry,
		terminals: make(map[string]*Terminal, len(opts.Terminals)),
		replayTTL: opts.ReplayTTL,
	}
	for _, t := range opts.Terminals {
		t.AllowedCIDRs = slices.Clone(t.AllowedCIDRs)
		b.terminals[t.Login] = &t
	}
	if b.replayTTL <= 0 {
		b.replayTTL = DefaultReplayTTL
	}
	for i := range b.members {
		b.byCode[b.members[i].Code] = &b.members[i]
	}
	for name, codes := range opts.Databases {
		b.databases[name] = slices.Clone(codes)
	}
	if b.log == nil {
		b.log = slog.Default()
	}
	if b.now == nil {
		b.now = time.Now
	}
	if b.pingWait <= 0 {
		b.pingWait = 2 * time.Second
	}
	b.catalog = newCatalog(b, opts.Search)
	b.loans = newLoanEngine(b, opts.Loans)
	return b
}

// Register attaches the Catalog, Circulation, Loans and Members services to
// s. Call it before s.Serve.
func (b *Broker) Register(s grpc.ServiceRegistrar) {
	illgwv1.RegisterCatalogServer(s, b.catalog)
	illgwv1.RegisterCirculationServer(s, &circulation{b: b})
	illgwv1.RegisterLoansServer(s, &loansService{b: b})
	illgwv1.RegisterMembersServer(s, &membersService{b: b})
}

// ServiceNames are the fully qualified names of the services Register adds,
// for the gRPC health service and reflection listings.
var ServiceNames = []string{
	illgwv1.Catalog_ServiceDesc.ServiceName,
	illgwv1.Circulation_ServiceDesc.ServiceName,
	illgwv1.Loans_ServiceDesc.ServiceName,
	illgwv1.Members_ServiceDesc.ServiceName,
}
