package io.hexgate.operator.policy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kubernetes NetworkPolicy as Cilium enforces it (reference §9), and its interplay with Cilium
 * policies. Three namespaces x, y, z with pods a, b, c each, as in the Kubernetes e2e suite.
 */
class NetworkPolicySemanticsTest {
  @TempDir Path tmp;

  private ClusterFixture cluster() {
    ClusterFixture c =
        ClusterFixture.in(tmp).namespace("x", "ns=x").namespace("y", "ns=y").namespace("z", "ns=z");
    int n = 1;
    for (String ns : new String[] {"x", "y", "z"}) {
      int i = 1;
      for (String pod : new String[] {"a", "b", "c"}) {
        c.pod(ns + "/" + pod, "10.0." + n + "." + i++, "pod=" + pod);
      }
      n++;
    }
    return c;
  }

  // ---------------------------------------------------------------- peers

  @Test
  void shouldSelectPodSelectorPeerInThePolicyNamespaceOnly() {
    // §9.1: podSelector alone = pods in the policy's namespace.
    cluster()
        .knp("x", """
            podSelector: {matchLabels: {pod: a}}
            ingress:
            - from: [{podSelector: {matchLabels: {pod: b}}}]
            """)
        .assertAllowed("x/b", "x/a", "80/tcp")
        .assertDenied("y/b", "x/a", "80/tcp")
        .assertDenied("x/c", "x/a", "80/tcp")
        .assertDenied("ip:8.8.8.8", "x/a", "80/tcp");
  }

  @Test
  void shouldSelectEveryPodOfMatchingNamespacesWithNamespaceSelectorPeer() {
    // §9.1: namespaceSelector alone = all pods in matching namespaces (and not the policy's own).
    cluster()
        .knp("x", """
            podSelector: {matchLabels: {pod: a}}
            ingress:
            - from: [{namespaceSelector: {matchLabels: {ns: y}}}]
            """)
        .assertAllowed("y/a", "x/a", "80/tcp")
        .assertAllowed("y/c", "x/a", "80/tcp")
        .assertDenied("x/b", "x/a", "80/tcp")
        .assertDenied("z/a", "x/a", "80/tcp");
  }

  @Test
  void shouldAndSelectorsInOnePeerAndOrTwoPeersUnlikeNaiveFlattening() {
    // §9.1: both selectors in one peer = AND; as two list items = OR. Naive flattening treats both alike.
    cluster()
        .knp("x", """
            podSelector: {matchLabels: {pod: a}}
            policyTypes: [Ingress]
            ingress:
            - from:
              - namespaceSelector: {matchLabels: {ns: y}}
                podSelector: {matchLabels: {pod: c}}
            """)
        .knp("x", """
            podSelector: {matchLabels: {pod: b}}
            policyTypes: [Ingress]
            ingress:
            - from:
              - namespaceSelector: {matchLabels: {ns: y}}
              - podSelector: {matchLabels: {pod: c}}
            """)
        // one peer: only c in y
        .assertAllowed("y/c", "x/a", "80/tcp")
        .assertDenied("y/a", "x/a", "80/tcp")
        .assertDenied("x/c", "x/a", "80/tcp")
        .assertDenied("z/c", "x/a", "80/tcp")
        // two peers: anything in y, or c in x
        .assertAllowed("y/a", "x/b", "80/tcp")
        .assertAllowed("x/c", "x/b", "80/tcp")
        .assertDenied("z/c", "x/b", "80/tcp")
        .assertDenied("x/a", "x/b", "80/tcp");
  }

  @Test
  void shouldSelectPodsInAllNamespacesButNotWorldWithEmptyNamespaceSelector() {
    // §9.2: an empty namespaceSelector = io.kubernetes.pod.namespace Exists: every pod, never world.
    cluster()
        .knp("x", """
            podSelector: {matchLabels: {pod: a}}
            ingress:
            - from: [{namespaceSelector: {}}]
            """)
        .assertAllowed("y/b", "x/a", "80/tcp")
        .assertAllowed("z/c", "x/a", "80/tcp")
        .assertAllowed("x/b", "x/a", "80/tcp")
        .assertDenied("ip:8.8.8.8", "x/a", "80/tcp");
  }

  @Test
  void shouldSelectNamespaceByNameLabel() {
    // §9.1/§3.5: kubernetes.io/metadata.name is a namespace label like any other.
    cluster()
        .knp("x", """
            podSelector: {}
            ingress:
            - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: z}}}]
            """)
        .assertAllowed("z/a", "x/a", "80/tcp")
        .assertAllowed("z/b", "x/c", "80/tcp")
        .assertDenied("y/a", "x/a", "80/tcp");
  }

  // ---------------------------------------------------------------- ingress: [] vs [{}]

  @Test
  void shouldDenyAllWithEmptyIngressListAndAllowAllWithOneEmptyRuleUnlikeCiliumReading() {
    // §9.1: ingress [] = deny all, ingress [{}] = allow all; the CNP reading ([] no effect, [{}] deny all) is naive here.
    cluster()
        .knp("x", """
            podSelector: {matchLabels: {pod: a}}
            policyTypes: [Ingress]
            ingress: []
            """)
        .knp("x", """
            podSelector: {matchLabels: {pod: b}}
            policyTypes: [Ingress]
            ingress: [{}]
            """)
        .assertDenied("x/c", "x/a", "80/tcp")
        .assertDenied("y/c", "x/a", "53/udp")
        .assertDenied("ip:8.8.8.8", "x/a", "80/tcp")
        .assertAllowed("x/c", "x/b", "80/tcp")
        .assertAllowed("y/c", "x/b", "53/udp")
        .assertAllowed("ip:8.8.8.8", "x/b", "80/tcp");
  }

  @Test
  void shouldDenyAllIngressWithPodSelectorOnlyPolicy() {
    // §9.1: policyTypes defaults to Ingress; a policy without ingress rules isolates the selected pods.
    cluster()
        .knp("x", "podSelector: {}\n")
        .assertDenied("y/a", "x/a", "80/tcp")
        .assertDenied("x/b", "x/c", "80/tcp")
        .assertAllowed("x/a", "y/a", "80/tcp");
  }

  @Test
  void shouldAllowOtherPodsWhenAnotherPolicyAllowsOverADenyAll() {
    // §9.1: policies are additive: an allow-all policy for the same pods overrides a deny-all one.
    cluster()
        .knp("x", "podSelector: {}\npolicyTypes: [Ingress]\n")
        .knp("x", """
            podSelector: {matchLabels: {pod: a}}
            ingress:
            - from: [{podSelector: {}}]
            """)
        .assertAllowed("x/b", "x/a", "80/tcp")
        .assertDenied("y/b", "x/a", "80/tcp")
        .assertDenied("x/a", "x/b", "80/tcp");
  }

  // ---------------------------------------------------------------- ports

  @Test
  void shouldAllowAnySourceOnListedPortsWithoutFrom() {
    // §9.1/§9.2: missing from = all peers, world and host included; ports still restrict.
    cluster()
        .knp("x", """
            podSelector: {matchLabels: {pod: a}}
            ingress:
            - ports: [{port: 80}]
            """)
        .assertAllowed("y/b", "x/a", "80/tcp")
        .assertAllowed("ip:8.8.8.8", "x/a", "80/tcp")
        .assertDenied("y/b", "x/a", "81/tcp", "80/udp");
  }

  @Test
  void shouldDefaultPortProtocolToTcp() {
    // §9.1: protocol defaults to TCP, so UDP to the same port stays denied.
    cluster()
        .knp("x", """
            podSelector: {matchLabels: {pod: a}}
            ingress:
            - from: [{podSelector: {}}]
              ports: [{port: 53}, {port: 53, protocol: UDP}, {port: 5353}]
            """)
        .assertAllowed("x/b", "x/a", "53/tcp", "53/udp", "5353/tcp")
        .assertDenied("x/b", "x/a", "5353/udp", "5353/sctp");
  }

  @Test
  void shouldAllowAllPortsOfProtocolWhenPortIsMissing() {
    // §9.1/§9.2: a port entry without port = every port of its protocol.
    cluster()
        .knp("x", """
            podSelector: {matchLabels: {pod: a}}
            ingress:
            - ports: [{protocol: UDP}]
            """)
        .assertAllowed("y/a", "x/a", "1/udp", "65535/udp")
        .assertDenied("y/a", "x/a", "80/tcp");
  }

  @Test
  void shouldIncludeBothEndsOfKnpEndPortRange() {
    // §9.1: endPort >= port, inclusive range; one past either end is denied.
    cluster()
        .knp("x", """
            podSelector: {matchLabels: {pod: a}}
            ingress:
            - ports: [{port: 32000, endPort: 32768, protocol: TCP}]
            """)
        .assertAllowed("y/a", "x/a", "32000/tcp", "32500/tcp", "32768/tcp")
        .assertDenied("y/a", "x/a", "31999/tcp", "32769/tcp");
  }

  @Test
  void shouldResolveKnpNamedPortOnTheDestinationPod() {
    // §9.1 (port may be a named port) + §3.6: ingress resolves it on the selected pod's container ports.
    ClusterFixture.in(tmp)
        .namespace("x", "ns=x")
        .namespace("y", "ns=y")
        .pod("x/a", "10.0.1.1", Map.of("serve-80", 80), "pod=a")
        .pod("x/b", "10.0.1.2", Map.of("serve-80", 8080), "pod=b")
        .pod("y/a", "10.0.2.1", "pod=a")
        .knp("x", """
            podSelector: {}
            ingress:
            - from: [{namespaceSelector: {matchLabels: {ns: y}}}]
              ports: [{port: serve-80}]
            """)
        .assertAllowed("y/a", "x/a", "80/tcp")
        .assertDenied("y/a", "x/a", "8080/tcp")
        .assertAllowed("y/a", "x/b", "8080/tcp")
        .assertDenied("y/a", "x/b", "80/tcp");
  }

  // ---------------------------------------------------------------- ipBlock

  @Test
  void shouldHonourIpBlockExcept() {
    // §9.1/§9.2: ipBlock becomes a CIDR rule with except.
    cluster()
        .knp("x", """
            podSelector: {matchLabels: {pod: a}}
            ingress:
            - from:
              - ipBlock: {cidr: 8.8.0.0/16, except: [8.8.8.0/24]}
            """)
        .assertAllowed("ip:8.8.4.4", "x/a", "80/tcp")
        .assertDenied("ip:8.8.8.8", "x/a", "80/tcp")
        .assertDenied("ip:9.9.9.9", "x/a", "80/tcp");
  }

  @Test
  void shouldNotMatchPodIpsWithIpBlock() {
    // §9.2/§2.4: ipBlock never matches pods in Cilium (issue #9209), even when the CIDR holds their IPs.
    cluster()
        .knp("x", """
            podSelector: {matchLabels: {pod: a}}
            ingress:
            - from: [{ipBlock: {cidr: 10.0.0.0/16}}]
            """)
        .assertDenied("y/a", "x/a", "80/tcp")
        .assertAllowed("ip:10.0.200.1", "x/a", "80/tcp");
  }

  @Test
  void shouldUnionOverlappingIpBlockPeers() {
    // §9.1: peers are ORed, so a second ipBlock covering the first one's except allows it.
    cluster()
        .knp("x", """
            podSelector: {matchLabels: {pod: a}}
            ingress:
            - from:
              - ipBlock: {cidr: 8.8.0.0/16, except: [8.8.8.0/24]}
              - ipBlock: {cidr: 8.8.8.0/28}
            """)
        .assertAllowed("ip:8.8.8.8", "x/a", "80/tcp")
        .assertDenied("ip:8.8.8.100", "x/a", "80/tcp");
  }

  // ---------------------------------------------------------------- egress

  @Test
  void shouldRestrictEgressOnlyWithEgressPolicyType() {
    // §9.1: egress isolation needs Egress in policyTypes; the client side then drops the connection.
    cluster()
        .knp("x", """
            podSelector: {matchLabels: {pod: a}}
            policyTypes: [Egress]
            egress:
            - to: [{namespaceSelector: {matchLabels: {ns: y}}, podSelector: {matchLabels: {pod: b}}}]
            """)
        .assertAllowed("x/a", "y/b", "80/tcp")
        .assertDenied("x/a", "y/a", "80/tcp")
        .assertDenied("x/a", "x/b", "80/tcp")
        .assertDenied("x/a", "ip:8.8.8.8", "53/udp")
        .assertAllowed("y/a", "x/a", "80/tcp");
  }

  @Test
  void shouldDenyAllEgressWithEmptyEgressAndEgressPolicyType() {
    // §9.1: Egress in policyTypes and no egress rules = deny all egress; ingress unaffected.
    cluster()
        .knp("x", """
            podSelector: {matchLabels: {pod: a}}
            policyTypes: [Egress]
            """)
        .assertDenied("x/a", "x/b", "80/tcp")
        .assertDenied("x/a", "ip:8.8.8.8", "80/tcp")
        .assertAllowed("x/b", "x/a", "80/tcp");
  }

  @Test
  void shouldApplyEgressRulesEvenWhenPolicyTypesLeavesEgressOut() {
    // §9.2: Cilium's parser applies spec.egress regardless of policyTypes (a Cilium quirk; upstream ignores them).
    cluster()
        .knp("x", """
            podSelector: {matchLabels: {pod: a}}
            policyTypes: [Ingress]
            ingress: [{}]
            egress: [{to: [{podSelector: {matchLabels: {pod: b}}}]}]
            """)
        .assertAllowed("x/a", "x/b", "80/tcp")
        .assertDenied("x/a", "x/c", "80/tcp")
        .assertAllowed("y/a", "x/a", "80/tcp");
  }

  @Test
  void shouldRequireBothKnpEgressAndIngressToAllow() {
    // §9.1/§3.2: an egress allow on the client does not override an ingress deny on the server.
    cluster()
        .knp("x", """
            podSelector: {matchLabels: {pod: a}}
            policyTypes: [Egress]
            egress: [{to: [{podSelector: {matchLabels: {pod: b}}}]}]
            """)
        .knp("x", """
            podSelector: {matchLabels: {pod: b}}
            policyTypes: [Ingress]
            ingress: [{from: [{podSelector: {matchLabels: {pod: c}}}]}]
            """)
        .assertDenied("x/a", "x/b", "80/tcp")
        .assertAllowed("x/c", "x/b", "80/tcp");
  }

  // ---------------------------------------------------------------- with Cilium policies

  @Test
  void shouldLetCiliumDenyOverrideNetworkPolicyAllow() {
    // §9.2: CNP/CCNP deny rules override NetworkPolicy allows.
    cluster()
        .knp("x", """
            podSelector: {matchLabels: {pod: a}}
            ingress: [{}]
            """)
        .cnp("x", """
            endpointSelector: {matchLabels: {pod: a}}
            ingressDeny:
            - fromEndpoints: [{matchLabels: {"k8s:io.kubernetes.pod.namespace": y}}]
            """)
        .assertDenied("y/a", "x/a", "80/tcp")
        .assertAllowed("z/a", "x/a", "80/tcp")
        .assertAllowed("ip:8.8.8.8", "x/a", "80/tcp");
  }

  @Test
  void shouldUnionNetworkPolicyAndCiliumAllows() {
    // §9.2/§3.2: the effective allow set is the union of CNP, CCNP and NetworkPolicy allows.
    cluster()
        .knp("x", """
            podSelector: {matchLabels: {pod: a}}
            ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]
            """)
        .ccnp("""
            endpointSelector: {matchLabels: {pod: a}}
            ingress:
            - fromEndpoints: [{matchLabels: {pod: c}}]
              toPorts: [{ports: [{port: "443", protocol: TCP}]}]
            """)
        .assertAllowed("x/b", "x/a", "80/tcp")
        .assertAllowed("z/c", "x/a", "443/tcp")
        .assertDenied("z/c", "x/a", "80/tcp")
        .assertDenied("y/b", "x/a", "80/tcp");
  }
}
