package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The targets: Madang and the baseline; for the chat fan-outs also
// Centrifugo (centrifugo.go) and Madang with its realtime tier on a
// Centrifugo beside it.
const (
	madang     = "madang"
	baseline   = "baseline"
	madangTier = "madang-tier"
)

// binDir makes a folder for the server binaries under the user's cache
// dir, not the temp dir: PocketBase takes a binary under the temp dir for
// "go run" and turns on dev mode (every SQL statement logged) and Madang's
// automigrate.
func binDir(work string) (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return work, nil // --dev=false still keeps dev mode off
	}
	parent := filepath.Join(cache, "madang-bench")
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", err
	}
	return os.MkdirTemp(parent, "bin-")
}

// buildTargets compiles both servers into dir and returns their paths by target.
func buildTargets(root, dir string) (map[string]string, error) {
	bins := map[string]string{
		madang:   filepath.Join(dir, "madang"),
		baseline: filepath.Join(dir, "baseline"),
	}
	pkgs := map[string]string{madang: ".", baseline: "./bench/baseline"}
	for _, target := range []string{madang, baseline} {
		cmd := exec.Command("go", "build", "-o", bins[target], pkgs[target])
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("building %s: %w\n%s", target, err, out)
		}
	}
	return bins, nil
}

// server is one running target: a child process serving HTTP on loopback.
type server struct {
	target string
	cmd    *exec.Cmd
	base   string // http://127.0.0.1:port
	health string // the path that answers 200 once it serves
	log    string
	exited chan error
}

// startServer runs bin serve on a free loopback port over dataDir, with env
// added to the environment, and waits until it answers.
func startServer(target, bin, dataDir string, env []string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logPath := dataDir + ".log"
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(bin, "serve", "--http="+addr, "--dir="+dataDir, "--dev=false")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = append(os.Environ(), env...)
	// a server never outlives the benchmark, even if it is killed
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", target, err)
	}
	s := &server{target: target, cmd: cmd, base: "http://" + addr, health: "/api/health", log: logPath, exited: make(chan error, 1)}
	go func() { s.exited <- cmd.Wait() }()
	if err := s.waitHealthy(30 * time.Second); err != nil {
		s.kill()
		return nil, fmt.Errorf("%s did not start: %w (log: %s)", target, err, s.logTail())
	}
	return s, nil
}

func (s *server) waitHealthy(limit time.Duration) error {
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{Proxy: nil}}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.exited:
			s.exited <- err
			return fmt.Errorf("exited: %v", err)
		default:
		}
		res, err := client.Get(s.base + s.health)
		if err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("no healthy answer in " + limit.String())
}

// pause freezes the server (SIGSTOP) while the other target takes the load.
func (s *server) pause() { s.cmd.Process.Signal(syscall.SIGSTOP) }

// resume thaws a paused server.
func (s *server) resume() { s.cmd.Process.Signal(syscall.SIGCONT) }

// stop ends the server gracefully (Madang saves its pending views then).
func (s *server) stop() error {
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return nil // already gone
	}
	select {
	case <-s.exited:
		return nil
	case <-time.After(20 * time.Second):
		s.kill()
		return fmt.Errorf("%s ignored SIGTERM for 20s", s.target)
	}
}

func (s *server) kill() {
	s.cmd.Process.Kill()
	<-s.exited
}

// statusKB reads a kB field (VmRSS, VmHWM) of /proc/PID/status; 0 if unknown.
func (s *server) statusKB(field string) int64 {
	return procStatusKB(s.cmd.Process.Pid, field)
}

func procStatusKB(pid int, field string) int64 {
	return kBField(fmt.Sprintf("/proc/%d/status", pid), field)
}

// kBField reads a "Field:   123 kB" line of a /proc file; 0 if unknown.
func kBField(path, field string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if ok && name == field {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// logTail is the end of the server's output, for error messages.
func (s *server) logTail() string {
	data, _ := os.ReadFile(s.log)
	if len(data) > 2000 {
		data = data[len(data)-2000:]
	}
	return strings.TrimSpace(string(data))
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// copyDir copies a (closed) data dir: files and subfolders.
func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		return copyFile(path, target)
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// recordPerf samples the servers' stacks hz times a second with perf until
// the returned stop is called (for --perf; read with perf report -i FILE).
// A request's stack in PocketBase's hook chains runs past 127 frames, the
// kernel's and perf's default limit: without
// `sysctl kernel.perf_event_max_stack=1024` before the run and
// `perf report --max-stack 1024` after it, a third of a chat message's
// request lands under cut-off roots (found 2026-12-06).
func recordPerf(file string, hz int, servers ...*server) (stop func(), err error) {
	pids := make([]string, len(servers))
	for i, s := range servers {
		pids[i] = strconv.Itoa(s.cmd.Process.Pid)
	}
	cmd := exec.Command("perf", "record", "-F", strconv.Itoa(hz), "-g", "-p", strings.Join(pids, ","), "-o", file)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting perf: %w", err)
	}
	return func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}, nil
}
