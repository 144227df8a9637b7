package procscan

import (
	"encoding/binary"
	"errors"
	"fmt"
	"syscall"
	"time"
)

// The kernel's process connector (linux/cn_proc.h): a netlink socket
// that, once subscribed, receives an event for every fork, exec and exit
// of the machine, in every PID namespace. Root only.
const (
	netlinkConnector = 11 // NETLINK_CONNECTOR
	cnIdxProc        = 1  // CN_IDX_PROC
	cnValProc        = 1  // CN_VAL_PROC
	mcastListen      = 1  // PROC_CN_MCAST_LISTEN
	procEventExec    = 2  // PROC_EVENT_EXEC

	nlmsgHdrLen = 16
	cnMsgLen    = 20
)

type connector struct{ fd int }

func listenExecs() (*connector, error) {
	fd, err := syscall.Socket(syscall.AF_NETLINK, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, netlinkConnector)
	if err != nil {
		return nil, fmt.Errorf("process connector: %w", err)
	}
	c := &connector{fd: fd}
	fail := func(what string, err error) (*connector, error) {
		c.close()
		return nil, fmt.Errorf("process connector: %s: %w", what, err)
	}
	// A large buffer: a busy machine executes thousands of programs a
	// second; what overflows is counted as lost.
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUFFORCE, 16<<20); err != nil {
		syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUF, 16<<20)
	}
	// Wake up now and then to see whether the sampler stopped.
	tv := syscall.NsecToTimeval((100 * time.Millisecond).Nanoseconds())
	if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
		return fail("timeout", err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK, Groups: cnIdxProc}); err != nil {
		return fail("bind", err)
	}
	msg := make([]byte, nlmsgHdrLen+cnMsgLen+4)
	le := binary.LittleEndian // the host's order: x86 and arm64 alike
	le.PutUint32(msg[0:], uint32(len(msg)))
	le.PutUint16(msg[4:], syscall.NLMSG_DONE)
	le.PutUint32(msg[16:], cnIdxProc)
	le.PutUint32(msg[20:], cnValProc)
	le.PutUint16(msg[32:], 4)
	le.PutUint32(msg[36:], mcastListen)
	if err := syscall.Sendto(fd, msg, 0, &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK}); err != nil {
		return fail("subscribe", err)
	}
	return c, nil
}

// next waits up to the receive timeout and returns the processes that
// executed a program, and how many events were lost.
func (c *connector) next() (pids []int, lost int, err error) {
	buf := make([]byte, 64<<10)
	n, _, err := syscall.Recvfrom(c.fd, buf, 0)
	switch {
	case errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EINTR):
		return nil, 0, nil
	case errors.Is(err, syscall.ENOBUFS):
		return nil, 1, nil
	case err != nil:
		return nil, 0, fmt.Errorf("process connector: %w", err)
	}
	msgs, err := syscall.ParseNetlinkMessage(buf[:n])
	if err != nil {
		return nil, 0, nil
	}
	le := binary.LittleEndian
	for _, m := range msgs {
		d := m.Data // cn_msg, then the proc_event
		if len(d) < cnMsgLen+24 || le.Uint32(d[0:]) != cnIdxProc {
			continue
		}
		ev := d[cnMsgLen:]
		// what, cpu, timestamp_ns, then for an exec: pid, tgid.
		if le.Uint32(ev[0:]) == procEventExec {
			pids = append(pids, int(le.Uint32(ev[20:])))
		}
	}
	return pids, 0, nil
}

func (c *connector) close() { syscall.Close(c.fd) }
