package io.hexgate.operator.policy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** toPorts, port ranges, protocols, named ports and icmps (reference §2.7, §2.8, §3.6). */
class PortSemanticsTest {
  @TempDir Path tmp;

  private ClusterFixture cluster(String spec) {
    return ClusterFixture.in(tmp)
        .pod("default/web", "10.0.1.1", "app=web")
        .pod("default/client", "10.0.1.2", "app=client")
        .pod("default/other", "10.0.1.3", "app=other")
        .cnp("default", spec);
  }

  // ---------------------------------------------------------------- ports and ranges

  @Test
  void shouldAllowOnlyTheListedPortAndProtocol() {
    // §2.7: port + protocol; any other port or protocol stays denied under default-deny.
    cluster("""
            endpointSelector: {matchLabels: {app: web}}
            ingress:
            - toPorts: [{ports: [{port: "80", protocol: TCP}]}]
            """)
        .assertAllowed("default/client", "default/web", "80/tcp")
        .assertDenied("default/client", "default/web", "81/tcp", "79/tcp", "80/udp", "80/sctp");
  }

  @Test
  void shouldIncludeBothEndsOfPortRangeUnlikeNaiveExclusiveOrIgnoredEndPort() {
    // §2.7: endPort is inclusive (port..endPort); a naive exclusive range denies 8080, ignoring endPort denies 8040.
    cluster("""
            endpointSelector: {matchLabels: {app: web}}
            ingress:
            - fromEndpoints: [{matchLabels: {app: client}}]
              toPorts: [{ports: [{port: "8000", endPort: 8080, protocol: TCP}]}]
            """)
        .assertAllowed("default/client", "default/web", "8000/tcp", "8040/tcp", "8080/tcp")
        .assertDenied("default/client", "default/web", "7999/tcp", "8081/tcp", "8040/udp");
  }

  @Test
  void shouldApplyPortRangesToDenyRules() {
    // §2.1/§2.7: deny toPorts take the same ranges; the ends are inclusive there too.
    cluster("""
            endpointSelector: {matchLabels: {app: web}}
            ingress:
            - fromEndpoints: [{matchLabels: {app: client}}]
            ingressDeny:
            - toPorts: [{ports: [{port: "1000", endPort: 1999, protocol: TCP}]}]
            """)
        .assertDenied("default/client", "default/web", "1000/tcp", "1500/tcp", "1999/tcp")
        .assertAllowed("default/client", "default/web", "999/tcp", "2000/tcp", "1500/udp");
  }

  @Test
  void shouldAllowAllPortsOfTheProtocolWithPortZero() {
    // §3.6: port "0" with protocol X = all ports of X (and only X).
    cluster("""
            endpointSelector: {matchLabels: {app: web}}
            ingress:
            - toPorts: [{ports: [{port: "0", protocol: UDP}]}]
            """)
        .assertAllowed("default/client", "default/web", "1/udp", "53/udp", "65535/udp")
        .assertDenied("default/client", "default/web", "53/tcp", "8/icmp");
  }

  @Test
  void shouldGrantNothingWithAVrrpOrIgmpPortRule() {
    // §2.7: VRRP/IGMP are accepted but not enforced: the port rule grants no TCP, UDP or SCTP port (not an
    // L3-only allow), and the pod is under default-deny all the same.
    cluster("""
            endpointSelector: {matchLabels: {app: web}}
            ingress:
            - fromEndpoints: [{matchLabels: {app: client}}]
              toPorts: [{ports: [{protocol: VRRP}, {port: "0", protocol: IGMP}]}]
            """)
        .assertDenied("default/client", "default/web", "80/tcp", "53/udp", "8/icmp");
  }

  @Test
  void shouldExpandProtocolAnyToTcpUdpSctpButNotIcmp() {
    // §2.7/§3.6: protocol ANY (or omitted) = TCP, UDP and SCTP, not ICMP.
    cluster("""
            endpointSelector: {matchLabels: {app: web}}
            ingress:
            - fromEndpoints: [{matchLabels: {app: client}}]
              toPorts: [{ports: [{port: "53", protocol: ANY}]}]
            - fromEndpoints: [{matchLabels: {app: other}}]
              toPorts: [{ports: [{port: "53"}]}]
            """)
        .assertAllowed("default/client", "default/web", "53/tcp", "53/udp", "53/sctp")
        .assertAllowed("default/other", "default/web", "53/tcp", "53/udp", "53/sctp")
        .assertDenied("default/client", "default/web", "54/udp", "8/icmp", "0/icmp")
        .assertDenied("default/other", "default/web", "8/icmp");
  }

  @Test
  void shouldMatchEachExplicitProtocolOnly() {
    // §2.7: TCP, UDP and SCTP are distinct protocols.
    cluster("""
            endpointSelector: {matchLabels: {app: web}}
            ingress:
            - toPorts:
              - ports: [{port: "5000", protocol: SCTP}, {port: "5001", protocol: UDP}]
              - ports: [{port: "5002", protocol: TCP}]
            """)
        .assertAllowed("default/client", "default/web", "5000/sctp", "5001/udp", "5002/tcp")
        .assertDenied("default/client", "default/web", "5000/tcp", "5000/udp", "5001/tcp", "5002/udp");
  }

  @Test
  void shouldContributeNoAllowWithToPortsEntryWithoutPorts() {
    // §3.6: a toPorts entry with no ports contributes no allow (but the rule still enables default-deny).
    cluster("""
            endpointSelector: {matchLabels: {app: web}}
            ingress:
            - fromEndpoints: [{matchLabels: {app: client}}]
              toPorts: [{}]
            """)
        .assertDenied("default/client", "default/web", "80/tcp", "53/udp");
  }

  // ---------------------------------------------------------------- L3 + L4

  @Test
  void shouldAndL3AndL4InOneElementUnlikeNaiveUnion() {
    // §2.2: within one element all members must match; a naive union would allow other:80 or client:81.
    cluster("""
            endpointSelector: {matchLabels: {app: web}}
            ingress:
            - fromEndpoints: [{matchLabels: {app: client}}]
              toPorts: [{ports: [{port: "80", protocol: TCP}]}]
            """)
        .assertAllowed("default/client", "default/web", "80/tcp")
        .assertDenied("default/client", "default/web", "81/tcp")
        .assertDenied("default/other", "default/web", "80/tcp");
  }

  @Test
  void shouldOrSeparateElements() {
    // §2.2: separate list elements are ORed: client on any port, anyone on 80.
    cluster("""
            endpointSelector: {matchLabels: {app: web}}
            ingress:
            - fromEndpoints: [{matchLabels: {app: client}}]
            - toPorts: [{ports: [{port: "80", protocol: TCP}]}]
            """)
        .assertAllowed("default/client", "default/web", "81/tcp", "53/udp", "8/icmp")
        .assertAllowed("default/other", "default/web", "80/tcp")
        .assertAllowed("ip:8.8.8.8", "default/web", "80/tcp")
        .assertDenied("default/other", "default/web", "81/tcp");
  }

  // ---------------------------------------------------------------- named ports

  @Test
  void shouldResolveIngressNamedPortOnTheDestinationPodsOwnPorts() {
    // §3.6: ingress resolves the name against the subject's own container ports, per pod.
    ClusterFixture.in(tmp)
        .pod("default/web1", "10.0.1.10", Map.of("http", 8080), "app=web")
        .pod("default/web2", "10.0.1.11", Map.of("http", 9090), "app=web")
        .pod("default/web3", "10.0.1.12", "app=web")
        .pod("default/client", "10.0.1.2", "app=client")
        .cnp("default", """
            endpointSelector: {matchLabels: {app: web}}
            ingress:
            - fromEndpoints: [{matchLabels: {app: client}}]
              toPorts: [{ports: [{port: http, protocol: TCP}]}]
            """)
        .assertAllowed("default/client", "default/web1", "8080/tcp")
        .assertDenied("default/client", "default/web1", "9090/tcp", "80/tcp", "8080/udp")
        .assertAllowed("default/client", "default/web2", "9090/tcp")
        .assertDenied("default/client", "default/web2", "8080/tcp")
        .assertDenied("default/client", "default/web3", "8080/tcp", "9090/tcp", "80/tcp");
  }

  @Test
  void shouldResolveEgressNamedPortOnThePeersPorts() {
    // §3.6: egress resolves the name per peer identity, from the selected peers' named ports.
    ClusterFixture.in(tmp)
        .pod("default/web1", "10.0.1.10", Map.of("http", 8080), "app=web", "v=1")
        .pod("default/web2", "10.0.1.11", Map.of("http", 9090), "app=web", "v=2")
        .pod("default/client", "10.0.1.2", Map.of("http", 7070), "app=client")
        .cnp("default", """
            endpointSelector: {matchLabels: {app: client}}
            egress:
            - toEndpoints: [{matchLabels: {app: web}}]
              toPorts: [{ports: [{port: http, protocol: TCP}]}]
            """)
        .assertAllowed("default/client", "default/web1", "8080/tcp")
        .assertDenied("default/client", "default/web1", "9090/tcp", "7070/tcp")
        .assertAllowed("default/client", "default/web2", "9090/tcp")
        .assertDenied("default/client", "default/web2", "8080/tcp", "7070/tcp");
  }

  @Test
  void shouldMatchNamedPortsCaseInsensitively() {
    // §3.6/§2.7: port names in rules are case-insensitive (Sanitize lower-cases them).
    ClusterFixture.in(tmp)
        .pod("default/web", "10.0.1.10", Map.of("metrics", 9100), "app=web")
        .pod("default/client", "10.0.1.2", "app=client")
        .cnp("default", """
            endpointSelector: {matchLabels: {app: web}}
            ingress:
            - toPorts: [{ports: [{port: METRICS, protocol: TCP}]}]
            """)
        .assertAllowed("default/client", "default/web", "9100/tcp")
        .assertDenied("default/client", "default/web", "9101/tcp");
  }

  // ---------------------------------------------------------------- ICMP

  @Test
  void shouldAllowIcmpTypesByNumberAndByName() {
    // §2.8: icmps fields take a type number or a name (EchoRequest = 8, TimeExceeded = 11 for IPv4).
    cluster("""
            endpointSelector: {matchLabels: {app: web}}
            ingress:
            - fromEndpoints: [{matchLabels: {app: client}}]
              icmps: [{fields: [{type: 8, family: IPv4}]}]
            - fromEndpoints: [{matchLabels: {app: other}}]
              icmps: [{fields: [{type: EchoRequest}, {type: TimeExceeded}]}]
            """)
        .assertAllowed("default/client", "default/web", "8/icmp")
        .assertDenied("default/client", "default/web", "0/icmp", "11/icmp", "8/tcp")
        .assertAllowed("default/other", "default/web", "8/icmp", "11/icmp")
        .assertDenied("default/other", "default/web", "3/icmp", "80/tcp");
  }

  @Test
  void shouldAllowIcmpFromAnyPeerWithIcmpsAlone() {
    // §2.3: an element with L4 (here icmps) but no L3 member has a wildcard peer, world included.
    cluster("""
            endpointSelector: {matchLabels: {app: web}}
            ingress:
            - icmps: [{fields: [{type: 8}]}]
            """)
        .assertAllowed("ip:8.8.8.8", "default/web", "8/icmp")
        .assertAllowed("default/client", "default/web", "8/icmp")
        .assertDenied("default/client", "default/web", "0/icmp", "80/tcp");
  }

  @Test
  void shouldDenyIcmpUnderAnL4OnlyAllow() {
    // §3.6: once an L4 rule is the only allow for a peer, ICMP to it is blocked.
    cluster("""
            endpointSelector: {matchLabels: {app: web}}
            ingress:
            - fromEndpoints: [{matchLabels: {app: client}}]
              toPorts: [{ports: [{port: "0", protocol: ANY}]}]
            """)
        .assertAllowed("default/client", "default/web", "80/tcp", "53/udp")
        .assertDenied("default/client", "default/web", "8/icmp");
  }

  @Test
  void shouldAllowIcmpUnderAnL3OnlyAllow() {
    // §3.6: no toPorts/icmps in an allow element = L3-only: all protocols including ICMP.
    cluster("""
            endpointSelector: {matchLabels: {app: web}}
            ingress:
            - fromEndpoints: [{matchLabels: {app: client}}]
            """)
        .assertAllowed("default/client", "default/web", "8/icmp", "0/icmp", "80/tcp", "53/udp", "9/sctp");
  }

  @Test
  void shouldDenyIcmpTypeWithIcmpsInDenyRule() {
    // §2.1 (icmps in deny rules) + §3.3: a deny of one ICMP type leaves the rest of an L3 allow.
    cluster("""
            endpointSelector: {matchLabels: {app: web}}
            ingress:
            - fromEndpoints: [{matchLabels: {app: client}}]
            ingressDeny:
            - fromEndpoints: [{matchLabels: {app: client}}]
              icmps: [{fields: [{type: EchoRequest}]}]
            """)
        .assertDenied("default/client", "default/web", "8/icmp")
        .assertAllowed("default/client", "default/web", "0/icmp", "80/tcp");
  }
}
