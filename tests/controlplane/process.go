package controlplane

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Process is a program the harness started in its own process group, logging stdout
// and stderr to a file. The control-plane components are Processes; so are the lab
// backends that stand in for pods.
type Process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	logFile *os.File

	done      chan struct{}
	mu        sync.Mutex
	waitErr   error
	stopped   bool
	closeOnce sync.Once
}

// StartProcess starts bin with args (and env added to the test's environment) in its own
// process group, stdout and stderr appended to logPath. The caller stops it (Stop), usually
// from t.Cleanup.
func StartProcess(name, bin string, args, env []string, logPath string) (*Process, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout = f
	cmd.Stderr = f
	cmd.Env = append(os.Environ(), env...)
	// A process group lets teardown signal anything the program forked. Pdeathsig is the
	// safety net for a test binary killed by `go test -timeout`: the kernel then kills
	// the child even though no cleanup ran.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	fmt.Fprintf(f, "# %s %q\n", bin, args)
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Process{name: name, cmd: cmd, logPath: logPath, logFile: f, done: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		p.waitErr = err
		p.mu.Unlock()
		close(p.done)
	}()
	return p, nil
}

// Name is the name given to StartProcess.
func (p *Process) Name() string { return p.name }

// LogPath is the file the process logs to.
func (p *Process) LogPath() string { return p.logPath }

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Signal sends sig to the process group, unless the process has already exited.
func (p *Process) Signal(sig syscall.Signal) error {
	select {
	case <-p.done:
		return nil
	default:
		return syscall.Kill(-p.cmd.Process.Pid, sig)
	}
}

// ExitedE returns an error when the process has ended although nobody stopped it.
func (p *Process) ExitedE() error {
	select {
	case <-p.done:
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.stopped {
			return nil
		}
		return fmt.Errorf("%s exited early (%v); last log lines:\n%s", p.name, p.waitErr, Tail(p.logPath, 30))
	default:
		return nil
	}
}

// Stop sends SIGTERM to the process group, waits up to grace, then SIGKILLs it. It is
// safe to call more than once and after the process exited by itself.
func (p *Process) Stop(grace time.Duration) {
	p.mu.Lock()
	p.stopped = true
	p.mu.Unlock()
	defer p.closeOnce.Do(func() { p.logFile.Close() })
	select {
	case <-p.done:
		// Already reaped: its process-group id may belong to someone else by now.
		return
	default:
	}
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
	// Children that outlived the leader are still in its group; the group id cannot be
	// reused while they live.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

// Tail returns the last n lines of a file, for failure messages.
func Tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	data = bytes.TrimRight(data, "\n")
	lines := bytes.Split(data, []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// freePorts reserves n distinct loopback ports by listening on port 0, then releases
// them for the programs to bind. Holding all listeners until the end keeps the kernel
// from handing the same port out twice within one call.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func hostPort(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

var errNotReady = errors.New("not ready")
