package lab

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const sigterm = syscall.SIGTERM

// process is one child of the lab, in its own process group so that stop
// reaches anything it started.
type process struct {
	name    string
	log     string
	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error
}

// startProcess starts bin with args, stderr (and stdout unless readLine) to
// dir/name.log, and registers its stop with t.Cleanup. With readLine it
// returns the first line the process prints on stdout, waiting at most 30s.
func startProcess(t testing.TB, dir, name string, readLine bool, bin string, args ...string) (*process, string, error) {
	logPath := filepath.Join(dir, name+".log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stderr = logf
	cmd.Stdout = logf
	var r, w *os.File
	if readLine {
		if r, w, err = os.Pipe(); err != nil {
			logf.Close()
			return nil, "", err
		}
		cmd.Stdout = w
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		if r != nil {
			r.Close()
			w.Close()
		}
		return nil, "", fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, log: logPath, cmd: cmd, exited: make(chan struct{})}
	if w != nil {
		w.Close()
	}
	go func() {
		p.waitErr = cmd.Wait()
		logf.Close()
		if r != nil {
			r.Close()
		}
		close(p.exited)
	}()
	t.Cleanup(p.stop)
	if !readLine {
		return p, "", nil
	}
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		lines <- strings.TrimSpace(line)
	}()
	select {
	case line := <-lines:
		if line == "" {
			<-p.exited
			return nil, "", fmt.Errorf("%s exited before it was up: %v (see %s)", name, p.waitErr, logPath)
		}
		return p, line, nil
	case <-time.After(30 * time.Second):
		p.stop()
		return nil, "", fmt.Errorf("%s printed nothing within 30s (see %s)", name, logPath)
	}
}

// signal sends sig to the process itself (not its group): what the kubelet
// does to a container's main process.
func (p *process) signal(sig syscall.Signal) {
	select {
	case <-p.exited:
	default:
		p.cmd.Process.Signal(sig)
	}
}

// stop kills the process group and waits for the process to be reaped. It is
// safe to call more than once and after the process exited.
func (p *process) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	// Negative pid: the whole group the process leads.
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
	}
}
