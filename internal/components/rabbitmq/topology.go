package rabbitmq

import (
	"net/netip"

	"github.com/fundament-cloud/fundament/internal/endpoint"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/service"
)

// amqpPort is where clients (the OpenStack services) reach every member.
const amqpPort = 5672

// member is a RabbitMQ node: its host, its Erlang node name and its
// internal API address, which AMQP and the Erlang distribution listen on.
type member struct {
	Host string
	Node string // rabbit@<host>: the host name, which /etc/hosts resolves to Addr
	Addr netip.Addr
}

// queueService is an OpenStack service that talks over the message
// queue: its own vhost and user, the password from its secret.
type queueService struct {
	Name   string // also the vhost's and the user's name
	Secret string
}

// topology is the cluster as the model describes it, read once.
type topology struct {
	Cloud   string
	Lab     bool
	Members []member // in placement order: the others join the first
	// Quorum makes quorum queues the default of the cluster and of every
	// service vhost (rabbitmq.quorum_queues).
	Quorum   bool
	Services []queueService
}

// nodeName is the Erlang node name of RabbitMQ on a host.
func nodeName(host string) string { return "rabbit@" + host }

// queueServices lists the services the cloud enables that declare a
// queue (internal/service), in registration order.
func queueServices(c *model.Cloud) []queueService {
	var out []queueService
	for _, s := range service.Enabled(c) {
		if s.Queue {
			out = append(out, queueService{Name: s.Name, Secret: s.QueueSecret()})
		}
	}
	return out
}

func newTopology(c *model.Cloud) (*topology, error) {
	t := &topology{
		Cloud:    c.Spec.Name,
		Lab:      c.Spec.Profile == model.ProfileLab,
		Quorum:   model.Enabled(c.Services.RabbitMQ.QuorumQueues, true),
		Services: queueServices(c),
	}
	ms, err := endpoint.Backends(c, c.Select(&c.Services.RabbitMQ.Placement), "RabbitMQ's AMQP and cluster traffic use it")
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		t.Members = append(t.Members, member{Host: m.Host, Node: nodeName(m.Host), Addr: m.Addr})
	}
	return t, nil
}

func (t *topology) hosts() []string {
	out := make([]string, len(t.Members))
	for i, m := range t.Members {
		out[i] = m.Host
	}
	return out
}
