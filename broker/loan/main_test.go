package loan

import (
	"testing"

	"github.com/illgw/illgw/internal/testenv"
)

// TestMain fails the package when goroutines this package started outlive
// the tests (a Run loop or a drive left behind by a closed engine).
func TestMain(m *testing.M) { testenv.Main(m, "broker/loan.") }
