package testenv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// readyTimeout bounds the wait for a started server to answer.
const readyTimeout = 10 * time.Second

// stopGrace is how long a server has to exit after SIGTERM before SIGKILL.
const stopGrace = 5 * time.Second

// proc is one server process started by this package. It is stopped by its
// own PID, never by name.
type proc struct {
	name    string // binary name, for messages
	logPath string // where its stdout, stderr (and usually its log) go
	cmd     *exec.Cmd
	done    chan struct{} // closed when Wait returned
	waitErr error         // set before done is closed
}

// startProc starts argv[0] (an absolute path) in dir with stdout and stderr
// appended to logPath. The child gets SIGKILL if the test process dies
// without running its cleanups (Linux Pdeathsig).
func startProc(name, dir, logPath string, argv []string, env ...string) (*proc, error) {
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer lf.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Stdin = nil
	cmd.Stdout = lf
	cmd.Stderr = lf
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := spawn(cmd); err != nil {
		return nil, fmt.Errorf("testenv: start %s: %w", name, err)
	}
	p := &proc{name: name, logPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Linux delivers the parent-death signal when the *thread* that forked the
// child ends, not the process. Go threads normally live for the whole
// process, but one whose goroutine exits while locked to it (LockOSThread
// without Unlock) is destroyed, which would kill every server it started.
// So all servers are forked from one goroutine that locks its thread and
// never returns.
var (
	spawnOnce sync.Once
	spawnCh   chan spawnReq
)

type spawnReq struct {
	cmd  *exec.Cmd
	done chan error
}

// spawn starts cmd from the spawner thread.
func spawn(cmd *exec.Cmd) error {
	spawnOnce.Do(func() {
		spawnCh = make(chan spawnReq)
		go func() {
			runtime.LockOSThread()
			for r := range spawnCh {
				r.done <- r.cmd.Start()
			}
		}()
	})
	r := spawnReq{cmd: cmd, done: make(chan error, 1)}
	spawnCh <- r
	return <-r.done
}

// pid returns the process id.
func (p *proc) pid() int { return p.cmd.Process.Pid }

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// signal sends sig to the process unless it has already been reaped.
func (p *proc) signal(sig syscall.Signal) error {
	if p.exited() {
		return fmt.Errorf("testenv: %s (pid %d) has exited", p.name, p.pid())
	}
	return p.cmd.Process.Signal(sig)
}

// stop sends SIGTERM (and SIGCONT, so a paused server sees it), waits up to
// grace, then sends SIGKILL and waits for the process to be reaped.
func (p *proc) stop(grace time.Duration) error {
	if p.exited() {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	_ = p.cmd.Process.Signal(syscall.SIGCONT)
	select {
	case <-p.done:
		return nil
	case <-time.After(grace):
	}
	return p.kill()
}

// kill sends SIGKILL and waits until the process is reaped.
func (p *proc) kill() error {
	if p.exited() {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-p.done:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("testenv: %s (pid %d) did not die after SIGKILL", p.name, p.pid())
	}
}

// errExited is returned by waitReady when the server ended before it
// answered; errors.Is tells a bind race from other failures via addrInUse.
var errExited = errors.New("exited before answering")

// waitReady polls probe until it returns nil, the process exits or timeout
// passes. On failure the process is killed and the error carries the tail
// of its log.
func (p *proc) waitReady(timeout time.Duration, probe func() error) error {
	deadline := time.Now().Add(timeout)
	var last error
	for {
		if p.exited() {
			return fmt.Errorf("testenv: %s (pid %d) %w (%v); log tail:\n%s",
				p.name, p.pid(), errExited, p.waitErr, fileTail(p.logPath, 20))
		}
		if last = probe(); last == nil {
			return nil
		}
		if time.Now().After(deadline) {
			_ = p.kill()
			return fmt.Errorf("testenv: %s (pid %d) did not answer within %v (last error: %v); log tail:\n%s",
				p.name, p.pid(), timeout, last, fileTail(p.logPath, 20))
		}
		time.Sleep(sleepCheck)
	}
}

// addrInUse reports whether a start failure looks like a lost race for the
// port, judging by the server's log.
func addrInUse(err error) bool {
	if err == nil || !errors.Is(err, errExited) {
		return false
	}
	s := strings.ToLower(err.Error())
	return strings.Contains(s, "address already in use") || strings.Contains(s, "could not create server tcp listening") ||
		strings.Contains(s, "bind") || strings.Contains(s, "eaddrinuse")
}

// pidAlive reports whether a process with this pid still exists (and is not
// a zombie). Tests use it to check that cleanup left nothing behind.
func pidAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// Field 3 is the state; it follows the command name in parentheses.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return false
	}
	return s[i+2] != 'Z' && s[i+2] != 'X'
}
