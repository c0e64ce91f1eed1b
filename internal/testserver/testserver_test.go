package testserver

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m) }

func reachable(addr string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	c, err := dial(ctx, addr)
	if err == nil {
		c.Close()
	}
	return err == nil
}

func TestRedisStopStart(t *testing.T) {
	s := Redis(t)
	if s.External() {
		t.Skip("external server")
	}
	if err := redisPing(context.Background(), s.Addr); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.Addr, "127.0.0.1:") {
		t.Fatalf("listens on %s, not loopback", s.Addr)
	}
	if Redis(t) != s {
		t.Fatal("a second call started a second server")
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if reachable(s.Addr) {
		t.Fatal("still reachable after Stop")
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if err := redisPing(context.Background(), s.Addr); err != nil {
		t.Fatalf("after Start: %v", err)
	}
}

func psql(t *testing.T, s *Server, sql string) string {
	t.Helper()
	bin, err := postgresBin()
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(s.Addr, ":")
	out, err := exec.Command(filepath.Join(bin, "psql"), "-h", host, "-p", port, "-U", "postgres", "-tAc", sql).CombinedOutput()
	if err != nil {
		t.Fatalf("psql %q: %v\n%s", sql, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestPostgresKeepsDataAcrossRestart(t *testing.T) {
	s := Postgres(t)
	if s.External() {
		t.Skip("external server")
	}
	psql(t, s, "CREATE TABLE IF NOT EXISTS testserver_probe (v int); DELETE FROM testserver_probe; INSERT INTO testserver_probe VALUES (42)")
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if reachable(s.Addr) {
		t.Fatal("still reachable after Stop")
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if got := psql(t, s, "SELECT v FROM testserver_probe"); got != "42" {
		t.Fatalf("after restart: %q", got)
	}
	if got := psql(t, s, "SHOW listen_addresses"); got != "127.0.0.1" {
		t.Fatalf("listen_addresses = %q", got)
	}
}

func TestDynaliteStopStart(t *testing.T) {
	s := Dynalite(t)
	if s.External() {
		t.Skip("external server")
	}
	if err := s.ready(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if reachable(s.Addr) {
		t.Fatal("still reachable after Stop")
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if !reachable(s.Addr) {
		t.Fatal("not reachable after Start")
	}
}
