package fabric

import (
	"reflect"
	"testing"
)

// A trimmed `show bgp summary json` of FRR 10.3 on a lab leaf.
const summaryLeaf = `{
  "ipv4Unicast":{
    "routerId":"10.0.0.11","as":4200000011,
    "peers":{
      "Ethernet48":{"hostname":"spine-1","remoteAs":4200000001,"state":"Established","peerState":"OK","pfxRcd":3},
      "Ethernet52":{"hostname":"spine-2","remoteAs":4200000002,"state":"Active","peerState":"OK","pfxRcd":0}
    },
    "failedPeers":1,"totalPeers":2
  },
  "l2VpnEvpn":{"peers":{}}
}`

func TestSessionVerdict(t *testing.T) {
	peers, err := parseBGPSummary(summaryLeaf)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		expected []string
		up       int
		down     []string
	}{
		{[]string{"Ethernet48"}, 1, nil},
		{[]string{"Ethernet48", "Ethernet52"}, 1, []string{"Ethernet52 Active"}},
		{[]string{"Ethernet48", "Ethernet56"}, 1, []string{"Ethernet56 not configured"}},
		{nil, 0, nil},
	} {
		up, down := sessionVerdict(tc.expected, peers)
		if up != tc.up || !reflect.DeepEqual(down, tc.down) {
			t.Errorf("%v: %d up, down %v; want %d, %v", tc.expected, up, down, tc.up, tc.down)
		}
	}
}

func TestParseBGPSummaryRejects(t *testing.T) {
	for _, in := range []string{"", "% Unknown command", "{\"ipv4Unicast\": []}"} {
		if _, err := parseBGPSummary(in); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
	peers, err := parseBGPSummary("{}") // BGP not configured yet
	if err != nil || len(peers) != 0 {
		t.Errorf("{}: %v, %v", peers, err)
	}
}

func TestParseUnreachable(t *testing.T) {
	got := parseUnreachable("unreachable 10.0.0.2\n\nnoise\nunreachable 10.0.0.1\nunreachable \n")
	if want := []string{"10.0.0.1", "10.0.0.2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func FuzzParseBGPSummary(f *testing.F) {
	f.Add(summaryLeaf)
	f.Add("{}")
	f.Fuzz(func(t *testing.T, in string) {
		peers, err := parseBGPSummary(in)
		if err == nil {
			sessionVerdict([]string{"Ethernet48"}, peers)
		}
	})
}
