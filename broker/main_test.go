package broker

import (
	"testing"

	"github.com/illgw/illgw/internal/testenv"
)

// TestMain fails the package when its tests leave goroutines behind (a
// server, store sweeper or stream not stopped). testenv.Main leaves out
// goroutines that live for the whole test binary, such as testenv's
// process spawner that a test starting redis-server leaves running.
func TestMain(m *testing.M) { testenv.Main(m) }
