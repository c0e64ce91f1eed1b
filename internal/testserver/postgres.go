package testserver

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"
)

// Postgres returns the shared PostgreSQL server: a throwaway cluster made
// with initdb from the Debian package, listening on 127.0.0.1 only, with
// durability off for speed. As root, it runs as the postgres user.
func Postgres(tb testing.TB) *Server {
	tb.Helper()
	return shared(tb, "postgres", "install it with `apt-get install postgresql` or run .ci/install-services", func() (*Server, error) {
		if dsn := os.Getenv("FNKIT_POSTGRES_DSN"); dsn != "" {
			return &Server{name: "postgres", DSN: dsn, external: true}, nil
		}
		bin, err := postgresBin()
		if err != nil {
			return nil, err
		}
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		root, err := os.MkdirTemp("", "fnkit-pg-")
		if err != nil {
			return nil, err
		}
		data, sock := filepath.Join(root, "data"), filepath.Join(root, "sock")
		for _, d := range []string{data, sock} {
			if err := os.Mkdir(d, 0o700); err != nil {
				return nil, err
			}
		}
		cred, err := unprivileged(root, data, sock)
		if err != nil {
			return nil, err
		}
		initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
		initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		if out, err := initdb.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("initdb: %w\n%s", err, out)
		}
		s := &Server{name: "postgres", Addr: hostPort(port),
			DSN:     fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port),
			cleanup: func() { _ = os.RemoveAll(root) }}
		s.command = func() *exec.Cmd {
			cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(port), "-k", sock,
				"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
				"-c", "full_page_writes=off", "-c", "max_connections=200")
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
			return cmd
		}
		s.ready = func(ctx context.Context) error {
			return exec.CommandContext(ctx, filepath.Join(bin, "pg_isready"), "-q", "-h", "127.0.0.1", "-p", strconv.Itoa(port)).Run()
		}
		return s, nil
	})
}

// postgresBin finds the directory of initdb and postgres: the newest
// /usr/lib/postgresql/<version>/bin, as Debian installs it.
func postgresBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("postgres"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin or on PATH")
}

func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// unprivileged returns the credential to run PostgreSQL with, and hands it
// the directories: PostgreSQL refuses to run as root.
func unprivileged(dirs ...string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root and there is no postgres user to run PostgreSQL as: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	for _, d := range dirs {
		if err := os.Chown(d, uid, gid); err != nil {
			return nil, err
		}
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}
