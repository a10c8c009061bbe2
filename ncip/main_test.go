package ncip

import (
	"testing"

	"github.com/illgw/illgw/internal/testenv"
)

// TestMain fails the package when goroutines started by this package's
// servers or clients outlive the tests.
func TestMain(m *testing.M) { testenv.Main(m) }
