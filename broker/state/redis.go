package state

import (
	"context"
	"fmt"
)

func openRedis(ctx context.Context, o Options) (Store, error) {
	return nil, fmt.Errorf("%w: the redis driver is not implemented yet", ErrInvalid)
}
