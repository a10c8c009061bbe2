package state

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterr "go.etcd.io/bbolt/errors"
)

// Online snapshots of the embedded store.
//
// bbolt (v1.5.0, bolt_unix.go) locks its file with flock: LOCK_EX for a
// writer, LOCK_SH for Options.ReadOnly, both with LOCK_NB in a retry loop.
// The running gateway holds LOCK_EX, so a second process cannot open the
// file at all, not even read-only, while the gateway runs; and reading the
// file without the lock could see pages the writer is reusing. The process
// that holds the lock must take the snapshot. So the embedded driver, while
// it has a store open, listens on a unix socket beside the file
// (SnapshotSocket: "<path>.sock", mode 0600, peers other than the same user
// or root refused by SO_PEERCRED) and answers each request with
// bolt.Tx.WriteTo inside a read transaction: a consistent copy of the last
// committed state, taken while writers go on (bbolt lets one writer and any
// number of readers run at once). Backup, in another process, asks that
// socket; when no process has the store open, it opens the file read-only
// itself.
//
// Wire exchange on the socket (one per connection):
//
//	client: "illgw-snapshot 1\n"
//	server: "OK <bytes> <format> <partitions>\n" then exactly <bytes> bytes
//	        of a bbolt file, or "ERR <reason>\n".

// SnapshotSocket returns the unix socket on which a gateway that has the
// embedded store at path open serves snapshots.
func SnapshotSocket(path string) string { return path + ".sock" }

const (
	snapshotRequest   = "illgw-snapshot 1\n"
	maxSnapshotHeader = 128 // longest header line a client reads
	// lockProbe is how long Backup and Restore wait for the file lock
	// before deciding that another process has the store open.
	lockProbe = 200 * time.Millisecond
)

// ErrInUse reports an embedded store that another process has open.
var ErrInUse = errors.New("state: store in use")

// snapshotServer answers snapshot requests for one open embedded store.
type snapshotServer struct {
	s    *embedded
	ln   net.Listener
	path string
	busy chan struct{} // one snapshot at a time
	// stall is how long one write to a client may block before the
	// snapshot is abandoned: a stopped client must not hold the read
	// transaction (and with it every page it sees) for ever. 0 means 30s.
	stall time.Duration
	mu    sync.Mutex
	conn  map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// serveSnapshots listens on the store's snapshot socket. The caller holds
// the file's exclusive lock, so a socket file left there belongs to a
// process that died: it is removed. A failure leaves the store usable
// without online backups and is logged.
func (s *embedded) serveSnapshots(sock string) {
	_ = os.Remove(sock)
	ln, err := net.Listen("unix", sock)
	if err != nil {
		slog.Warn("state: no snapshot socket: online backups of this store are not possible", "socket", sock, "err", err)
		return
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(true)
	if err := os.Chmod(sock, 0o600); err != nil {
		ln.Close()
		slog.Warn("state: no snapshot socket", "socket", sock, "err", err)
		return
	}
	srv := &snapshotServer{s: s, ln: ln, path: sock, busy: make(chan struct{}, 1), conn: map[net.Conn]struct{}{}}
	s.snap = srv
	srv.wg.Add(1)
	go srv.accept()
}

func (srv *snapshotServer) accept() {
	defer srv.wg.Done()
	for {
		c, err := srv.ln.Accept()
		if err != nil {
			return // closed
		}
		srv.mu.Lock()
		srv.conn[c] = struct{}{}
		srv.mu.Unlock()
		srv.wg.Add(1)
		go func() {
			defer srv.wg.Done()
			srv.serve(c)
			srv.mu.Lock()
			delete(srv.conn, c)
			srv.mu.Unlock()
			c.Close()
		}()
	}
}

// serve answers one request. A peer that is neither this process's user
// nor root, or that does not send the request line within 5 s, gets an
// error line and nothing else.
func (srv *snapshotServer) serve(c net.Conn) {
	if err := peerAllowed(c); err != nil {
		slog.Warn("state: snapshot request refused", "err", err)
		fmt.Fprintf(c, "ERR %s\n", err)
		return
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, len(snapshotRequest))
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != snapshotRequest {
		fmt.Fprintf(c, "ERR bad request\n")
		return
	}
	select {
	case srv.busy <- struct{}{}:
		defer func() { <-srv.busy }()
	default:
		fmt.Fprintf(c, "ERR another snapshot is in progress\n")
		return
	}
	err := srv.s.db.View(func(tx *bolt.Tx) error {
		if _, err := fmt.Fprintf(c, "OK %d %d %d\n", tx.Size(), FormatVersion, srv.s.n); err != nil {
			return err
		}
		_, err := tx.WriteTo(stallWriter{c, srv.stall})
		return err
	})
	if err != nil {
		slog.Warn("state: snapshot not completed", "err", err)
	}
}

// stallWriter gives each write to a snapshot client its own deadline.
type stallWriter struct {
	c     net.Conn
	stall time.Duration
}

func (w stallWriter) Write(p []byte) (int, error) {
	d := w.stall
	if d <= 0 {
		d = 30 * time.Second
	}
	w.c.SetWriteDeadline(time.Now().Add(d))
	return w.c.Write(p)
}

// close stops listening and cuts snapshots in progress, so that their read
// transactions end before the file is closed.
func (srv *snapshotServer) close() {
	srv.ln.Close()
	srv.mu.Lock()
	for c := range srv.conn {
		c.Close()
	}
	srv.mu.Unlock()
	srv.wg.Wait()
}

// Backup writes a consistent copy of the embedded store at path to w and
// returns its size and whether it came from a running gateway (online)
// through the snapshot socket. With no process holding the store it opens
// the file read-only itself. The copy is a bbolt file: Inspect checks it,
// Restore puts it back.
func Backup(ctx context.Context, path string, w io.Writer) (n int64, online bool, err error) {
	c, err := (&net.Dialer{}).DialContext(ctx, "unix", SnapshotSocket(path))
	if err == nil {
		defer c.Close()
		n, err := backupOnline(ctx, c, w)
		return n, true, err
	}
	if !errors.Is(err, syscall.ENOENT) && !errors.Is(err, syscall.ECONNREFUSED) {
		return 0, false, fmt.Errorf("state: snapshot socket %s: %w", SnapshotSocket(path), err)
	}
	if _, err := os.Stat(path); err != nil {
		return 0, false, fmt.Errorf("state: no store to back up: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: lockProbe})
	if errors.Is(err, bolterr.ErrTimeout) {
		return 0, false, fmt.Errorf("%w: %s is locked by another process, but nothing answers on its snapshot socket %s", ErrInUse, path, SnapshotSocket(path))
	}
	if err != nil {
		return 0, false, fmt.Errorf("state: open %s: %w", path, err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		n, err = tx.WriteTo(w)
		return err
	})
	return n, false, err
}

// backupOnline runs the client side of the snapshot exchange.
func backupOnline(ctx context.Context, c net.Conn, w io.Writer) (int64, error) {
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if _, err := io.WriteString(c, snapshotRequest); err != nil {
		return 0, fmt.Errorf("state: snapshot request: %w", err)
	}
	br := bufio.NewReaderSize(c, 4096)
	line, err := readHeaderLine(br)
	if err != nil {
		return 0, fmt.Errorf("state: snapshot reply: %w", err)
	}
	if reason, ok := strings.CutPrefix(line, "ERR "); ok {
		return 0, fmt.Errorf("state: the gateway refused the snapshot: %s", reason)
	}
	f := strings.Fields(line)
	if len(f) != 4 || f[0] != "OK" {
		return 0, fmt.Errorf("state: snapshot reply %q is not understood", line)
	}
	size, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil || size < 0 {
		return 0, fmt.Errorf("state: snapshot reply has a bad size %q", f[1])
	}
	if format, err := strconv.Atoi(f[2]); err != nil || format > FormatVersion {
		return 0, fmt.Errorf("%w: the gateway sends store format %s; this build reads up to %d", ErrFormat, f[2], FormatVersion)
	}
	n, err := io.CopyN(w, br, size)
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return n, fmt.Errorf("state: snapshot cut after %d of %d bytes: %w", n, size, err)
	}
	return n, nil
}

// readHeaderLine reads one line of at most maxSnapshotHeader bytes.
func readHeaderLine(br *bufio.Reader) (string, error) {
	var b []byte
	for len(b) <= maxSnapshotHeader {
		c, err := br.ReadByte()
		if err != nil {
			return "", err
		}
		if c == '\n' {
			return string(b), nil
		}
		b = append(b, c)
	}
	return "", fmt.Errorf("header line longer than %d bytes", maxSnapshotHeader)
}
