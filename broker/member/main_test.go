package member

import (
	"testing"

	"github.com/illgw/illgw/internal/testenv"
)

// TestMain fails the package when goroutines this package started outlive the tests.
func TestMain(m *testing.M) { testenv.Main(m, "broker/member.") }
