package transport

// Scripts and the secrets in them are on no command line: not in the SSH
// exec request, not in the arguments of the shells on the host, not in
// sudo's. The sshd harness's servers run on this machine, so "the host"
// is this machine, and every process of it is looked at.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fundament-cloud/fundament/internal/testutil/procscan"
	"github.com/fundament-cloud/fundament/internal/testutil/sshd"
)

func randomValue(what string) string {
	b := make([]byte, 16)
	rand.Read(b)
	return "fm-" + what + "-" + hex.EncodeToString(b)
}

func TestScriptsOnNoCommandLine(t *testing.T) {
	t.Run("local", func(t *testing.T) {
		testNoCommandLine(t, &Local{}, "", 0)
	})
	t.Run("ssh as root", func(t *testing.T) {
		d := newTestSSHD(t)
		testNoCommandLine(t, d.dial(d.config(NewMemoryHostKeys())), d.Dir, 0)
	})
	t.Run("ssh through sudo", func(t *testing.T) {
		d := newTestSSHD(t)
		user, _ := sudoUser(t, d)
		cfg := d.config(NewMemoryHostKeys())
		cfg.User = user
		testNoCommandLine(t, d.dial(cfg), d.Dir, userID(t, user))
	})
}

// testNoCommandLine runs, small and over 128 KiB, a script that exports
// a secret, holds another in its body and reads the caller's stdin, then
// sleeps; meanwhile no process's command line holds a secret (and with a
// sudo user, sudo's arguments are exactly the fixed command), the
// exported one is in the environment of the script's children, and the
// stdin arrived. Then the run is cancelled: the sleep is killed and no
// file under the temporary directories holds a secret.
func testNoCommandLine(t *testing.T, tr Transport, dir string, sudoUID int) {
	if dir == "" {
		dir = t.TempDir()
	}
	start := time.Now()
	for _, size := range []int{0, 200 << 10} {
		t.Run(fmt.Sprintf("script of %d KiB", size>>10), func(t *testing.T) {
			envSecret, bodySecret := randomValue("env"), randomValue("body")
			secrets := []string{envSecret, bodySecret}
			work := filepath.Join(dir, fmt.Sprintf("work-%d", size))
			if err := os.MkdirAll(work, 0o777); err != nil {
				t.Fatal(err)
			}
			sleep := fmt.Sprintf("31.%d%d", os.Getpid()%1000, size)
			var b strings.Builder
			fmt.Fprintf(&b, "export FM_TEST_SECRET='%s'\nbody_secret='%s'\n", envSecret, bodySecret)
			for b.Len() < size {
				b.WriteString("pad=0123456789012345678901234567890123456789\n")
			}
			fmt.Fprintf(&b, "cat >%[1]s/in\n[ \"$body_secret\" = '%[2]s' ] && touch %[1]s/started\nsleep %[3]s\necho survived\n", work, bodySecret, sleep)
			input := bytes.Repeat([]byte("the caller's stdin "), 10000)

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			errc := make(chan error, 1)
			go func() {
				_, err := tr.Run(ctx, b.String(), bytes.NewReader(input))
				errc <- err
			}()
			waitFor(t, errc, func() bool { return sshd.ProcessRunning("sleep", sleep) })

			if hits := procscan.Scan(secrets); len(hits) > 0 {
				t.Errorf("a secret is on a command line of the machine:\n%v", hits)
			}
			if got, _ := os.ReadFile(filepath.Join(work, "in")); !bytes.Equal(got, input) {
				t.Errorf("the caller's stdin: the script read %d bytes, want %d", len(got), len(input))
			}
			if _, err := os.Stat(filepath.Join(work, "started")); err != nil {
				t.Errorf("the script's body did not see its own secret: %v", err)
			}
			if env := environOf(t, "sleep", sleep); !strings.Contains(env, "FM_TEST_SECRET="+envSecret+"\x00") {
				t.Errorf("the exported variable is not in the environment of the script's children")
			}
			if sudoUID != 0 {
				checkSudoArgv(t, sudoUID, secrets)
			}

			cancel()
			if err := <-errc; !errors.Is(err, context.Canceled) {
				t.Errorf("a cancelled Run returned %v", err)
			}
			for deadline := time.Now().Add(5 * time.Second); sshd.ProcessRunning("sleep", sleep); time.Sleep(20 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("sleep %s survived the cancelled Run", sleep)
				}
			}
			for _, f := range filesHolding(t, start, secrets, []string{"/tmp", "/var/tmp", "/dev/shm", "/run", os.TempDir()}, dir) {
				t.Errorf("%s holds a secret after the run", f)
			}
		})
	}
}

// waitFor polls until ok, failing when the Run ends first or after 20 s.
func waitFor(t *testing.T, errc chan error, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		select {
		case err := <-errc:
			t.Fatalf("the script ended early: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the script did not start within 20 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// environOf is the environment of the process with exactly this command
// line.
func environOf(t *testing.T, args ...string) string {
	want := strings.Join(args, "\x00") + "\x00"
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline"); err == nil && string(b) == want {
			env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
			if err != nil {
				t.Fatal(err)
			}
			return string(env)
		}
	}
	t.Fatalf("no process %q", args)
	return ""
}

// checkSudoArgv: every sudo run by the user has the one fixed command line.
func checkSudoArgv(t *testing.T, uid int, secrets []string) {
	t.Helper()
	want := "sudo\x00-n\x00/bin/sh\x00-s\x00"
	seen := 0
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		status, err := os.ReadFile("/proc/" + e.Name() + "/status")
		if err != nil || realUID(status) != uid {
			continue
		}
		argv, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if !bytes.HasPrefix(argv, []byte("sudo\x00")) {
			continue
		}
		seen++
		if string(argv) != want {
			shown := string(argv)
			for _, v := range secrets {
				shown = strings.ReplaceAll(shown, v, "<secret>")
			}
			t.Errorf("sudo runs %q, want the fixed %q", shown, want)
		}
	}
	if seen == 0 {
		t.Error("no sudo process of the user while the script ran")
	}
}

func realUID(status []byte) int {
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "Uid:" {
			uid, _ := strconv.Atoi(f[1])
			return uid
		}
	}
	return -1
}

func userID(t *testing.T, user string) int {
	b, err := os.ReadFile("/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Split(line, ":"); len(f) > 2 && f[0] == user {
			uid, _ := strconv.Atoi(f[2])
			return uid
		}
	}
	t.Fatalf("no user %s", user)
	return 0
}

// filesHolding lists the regular files changed since the test began that
// hold one of the values: in the top level of each of top (where mktemp
// and shells make temporary files; below are other tests' trees) and
// anywhere under each of deep.
func filesHolding(t *testing.T, since time.Time, values []string, top []string, deep ...string) []string {
	var out []string
	look := func(p string, e fs.DirEntry) {
		info, err := e.Info()
		if err != nil || !e.Type().IsRegular() || info.ModTime().Before(since.Add(-time.Second)) || info.Size() > 16<<20 {
			return
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return
		}
		for _, v := range values {
			if bytes.Contains(b, []byte(v)) {
				out = append(out, p)
				return
			}
		}
	}
	for _, d := range top {
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			look(filepath.Join(d, e.Name()), e)
		}
	}
	for _, d := range deep {
		filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
			if err == nil {
				look(p, e)
			}
			return nil
		})
	}
	return out
}
