package testkit

import (
	"bytes"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Proc is a process started by a test, stopped by t.Cleanup at the latest.
type Proc struct {
	t    testing.TB
	name string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error // exit status, valid once done is closed
}

// start runs cmd with its stdout and stderr captured; the process is killed
// when the test ends if it is still running.
func start(t testing.TB, name string, cmd *exec.Cmd) *Proc {
	t.Helper()
	p := &Proc{t: t, name: name, cmd: cmd, out: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout = p.out
	cmd.Stderr = p.out
	// Own process group, so a stop also reaches anything the process forks.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("testkit: starting %s: %v", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if !p.Exited() {
			p.Signal(syscall.SIGKILL)
			<-p.done
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", name, p.Output())
		}
	})
	return p
}

// Pid is the process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Output is everything the process wrote to stdout and stderr so far.
func (p *Proc) Output() string { return p.out.String() }

// Exited reports whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Signal sends sig to the process group.
func (p *Proc) Signal(sig syscall.Signal) {
	_ = syscall.Kill(-p.cmd.Process.Pid, sig)
}

// Stop sends SIGTERM and waits for the exit (SIGKILL after 10s); it returns
// the exit status, nil for a clean exit.
func (p *Proc) Stop() error {
	p.t.Helper()
	if p.Exited() {
		return p.err
	}
	p.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.Signal(syscall.SIGKILL)
		<-p.done
		p.t.Errorf("testkit: %s did not stop within 10s of SIGTERM", p.name)
	}
	return p.err
}

// Wait waits up to d for the process to exit by itself and returns its
// status; it fails the test on timeout.
func (p *Proc) Wait(d time.Duration) error {
	p.t.Helper()
	select {
	case <-p.done:
		return p.err
	case <-time.After(d):
		p.t.Fatalf("testkit: %s still running after %s", p.name, d)
		return nil
	}
}

// WaitOutput waits up to d for substr to appear in the output.
func (p *Proc) WaitOutput(substr string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if bytes.Contains(p.out.Bytes(), []byte(substr)) {
			return true
		}
		if p.Exited() {
			return bytes.Contains(p.out.Bytes(), []byte(substr))
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}

func (s *syncBuffer) String() string { return string(s.Bytes()) }

func sleep20() { time.Sleep(20 * time.Millisecond) }
