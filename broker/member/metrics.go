package member

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sony/gobreaker/v2"
)

// Metrics are the Prometheus collectors of a Registry. Alert on
// illgw_breaker_state == 2 (open) and on the rate of
// illgw_member_calls_total{result="failure"}.
type Metrics struct {
	// State is illgw_breaker_state{member,protocol}: 0 closed, 1 half-open,
	// 2 open, as gobreaker numbers its states. It changes on transitions;
	// open becomes half-open when the next call or Health looks at it.
	State *prometheus.GaugeVec
	// Transitions is illgw_breaker_transitions_total{member,protocol,to}.
	Transitions *prometheus.CounterVec
	// Calls is illgw_member_calls_total{member,protocol,result}, result
	// one of ok, answer (a protocol-level error answer such as an NCIP
	// Problem), failure, canceled, refused (breaker open or flagged), busy.
	Calls *prometheus.CounterVec
	// Duration is illgw_member_call_duration_seconds{member,protocol} of
	// calls that reached the member.
	Duration *prometheus.HistogramVec
}

// NewMetrics creates the collectors and registers them with reg (nil
// registers nothing, for tests that read the collectors directly).
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		State: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "illgw_breaker_state",
			Help: "Circuit breaker state per member and protocol: 0 closed, 1 half-open, 2 open.",
		}, []string{"member", "protocol"}),
		Transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "illgw_breaker_transitions_total",
			Help: "Circuit breaker state changes per member and protocol, by new state.",
		}, []string{"member", "protocol", "to"}),
		Calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "illgw_member_calls_total",
			Help: "Outbound calls to members by result: ok, answer, failure, canceled, refused, busy.",
		}, []string{"member", "protocol", "result"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "illgw_member_call_duration_seconds",
			Help:    "Duration of outbound calls that reached a member.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"member", "protocol"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.State, m.Transitions, m.Calls, m.Duration} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

func (m *Metrics) setState(member string, p Protocol, s gobreaker.State) {
	if m != nil {
		m.State.WithLabelValues(member, string(p)).Set(float64(s))
	}
}

func (m *Metrics) transition(member string, p Protocol, to gobreaker.State) {
	if m != nil {
		m.Transitions.WithLabelValues(member, string(p), to.String()).Inc()
		m.setState(member, p, to)
	}
}

func (m *Metrics) call(member string, p Protocol, result string, seconds float64) {
	if m == nil {
		return
	}
	m.Calls.WithLabelValues(member, string(p), result).Inc()
	if seconds >= 0 {
		m.Duration.WithLabelValues(member, string(p)).Observe(seconds)
	}
}
