package sshd

import (
	"bytes"
	"net"
	"os"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

func dial(t *testing.T, s *Server) (*ssh.Client, ssh.PublicKey, error) {
	t.Helper()
	b, err := os.ReadFile(s.ClientKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(b)
	if err != nil {
		t.Fatal(err)
	}
	var seen ssh.PublicKey
	c, err := ssh.Dial("tcp", s.Addr, &ssh.ClientConfig{
		User: "root",
		Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: func(_ string, _ net.Addr, k ssh.PublicKey) error {
			seen = k
			return nil
		},
		Timeout: 5 * time.Second,
	})
	return c, seen, err
}

func TestServer(t *testing.T) {
	s := Start(t)
	c, key, err := dial(t, s)
	if err != nil {
		t.Fatalf("dial: %v\n%s", err, s.Log())
	}
	if !bytes.Equal(key.Marshal(), s.HostKey().Marshal()) {
		t.Error("the server offered another host key than HostKey")
	}
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out, err := sess.Output("id -u")
	if err != nil || string(out) != "0\n" {
		t.Fatalf("id -u: %q %v", out, err)
	}
	if s.Logins() != 1 {
		t.Errorf("Logins() = %d, want 1", s.Logins())
	}

	s.Stop()
	if s.Running() {
		t.Error("Running after Stop")
	}
	if _, _, err := dial(t, s); err == nil {
		t.Fatal("dialled a stopped server")
	}
	c.Close()

	old := s.HostKey()
	s.NewHostKey()
	s.Restart()
	c, key, err = dial(t, s)
	if err != nil {
		t.Fatalf("dial after restart: %v\n%s", err, s.Log())
	}
	c.Close()
	if bytes.Equal(key.Marshal(), old.Marshal()) {
		t.Error("the host key did not change")
	}

	stranger := s.NewClientKey("stranger", false)
	s.ClientKeyFile, stranger = stranger, s.ClientKeyFile
	if _, _, err := dial(t, s); err == nil {
		t.Error("an unauthorized key logged in")
	}
	s.ClientKeyFile = stranger
}

func TestTwoServers(t *testing.T) {
	a, b := Start(t), Start(t)
	if a.Port == b.Port || a.Dir == b.Dir {
		t.Fatalf("servers share port or directory: %+v %+v", a, b)
	}
	b.Stop()
	if c, _, err := dial(t, a); err != nil {
		t.Fatalf("a stopped with b: %v", err)
	} else {
		c.Close()
	}
}
