package state

import (
	"testing"

	"github.com/illgw/illgw/internal/testenv"
)

// TestMain fails the package when goroutines started by its tests (bbolt
// sweepers, go-redis pools and their background loops) outlive the tests.
func TestMain(m *testing.M) { testenv.Main(m) }
