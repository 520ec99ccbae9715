package io.hexgate.operator.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.operator.identity.ReservedIdentity;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** ingressDeny / egressDeny and their precedence over allows (reference §3.3). */
class DenySemanticsTest {
  @TempDir Path tmp;

  private ClusterFixture cluster() {
    return ClusterFixture.in(tmp)
        .namespace("default")
        .namespace("other")
        .pod("default/server", "10.0.1.1", "app=server")
        .pod("default/client", "10.0.1.2", "app=client")
        .pod("default/other", "10.0.1.3", "app=other")
        .pod("other/client", "10.0.2.2", "app=client");
  }

  /** The allows of the §3.3 table: L7 HTTP on 80, L4 80/TCP, L4 81/TCP, L3 from client. */
  private static final String TABLE_ALLOWS = """
      endpointSelector: {matchLabels: {app: server}}
      ingress:
      - toPorts:
        - ports: [{port: "80", protocol: TCP}]
          rules: {http: [{method: GET, path: "/"}]}
      - toPorts: [{ports: [{port: "80", protocol: TCP}]}]
      - toPorts: [{ports: [{port: "81", protocol: TCP}]}]
      - fromEndpoints: [{matchLabels: {app: client}}]
      """;

  private static final String DENY_80 = """
      endpointSelector: {matchLabels: {app: server}}
      ingressDeny:
      - toPorts: [{ports: [{port: "80", protocol: TCP}]}]
      """;

  private static final String DENY_CLIENT = """
      endpointSelector: {matchLabels: {app: server}}
      ingressDeny:
      - fromEndpoints: [{matchLabels: {app: client}}]
      """;

  @ParameterizedTest(name = "{0}: curl :81 {1}, curl :80 {2}, ping {3}")
  @CsvSource({
    "none,                        ALLOWED, ALLOWED, ALLOWED",
    "deny 80/TCP,                 ALLOWED, DENIED,  ALLOWED",
    "deny L3 from client,         DENIED,  DENIED,  DENIED",
    "deny L3 client + 80/TCP,     DENIED,  DENIED,  DENIED",
    "only deny 80/TCP no allows,  DENIED,  DENIED,  DENIED",
  })
  void shouldMatchTheWorkedDenyTable(String row, String curl81, String curl80, String ping) {
    // §3.3 worked table (server pod; allows: L7 HTTP on 80, L4 80/TCP, L4 81/TCP, L3 from client).
    ClusterFixture c = cluster();
    switch (row) {
      case "none" -> c.cnp("default", TABLE_ALLOWS);
      case "deny 80/TCP" -> c.cnp("default", TABLE_ALLOWS).cnp("default", DENY_80);
      case "deny L3 from client" -> c.cnp("default", TABLE_ALLOWS).cnp("default", DENY_CLIENT);
      case "deny L3 client + 80/TCP" ->
          c.cnp("default", TABLE_ALLOWS).cnp("default", DENY_CLIENT).cnp("default", DENY_80);
      case "only deny 80/TCP no allows" -> c.cnp("default", DENY_80);
      default -> throw new IllegalArgumentException(row);
    }
    assertThat(verdict(c, "81/tcp")).as("curl :81").isEqualTo(curl81);
    assertThat(verdict(c, "80/tcp")).as("curl :80").isEqualTo(curl80);
    assertThat(verdict(c, "8/icmp")).as("ping").isEqualTo(ping);
  }

  private static String verdict(ClusterFixture c, String dport) {
    return c.trace("default/client", "default/server", dport).allowed() ? "ALLOWED" : "DENIED";
  }

  @Test
  void shouldLetDenyInAnotherPolicyBeatAnAllowUnlikeNaiveAnyAllowWins() {
    // §3.3: a matching deny wins over any allow from any policy; "any allow wins" would allow :80.
    cluster()
        .cnp("default", """
            endpointSelector: {matchLabels: {app: server}}
            ingress:
            - fromEndpoints: [{matchLabels: {app: client}}]
            """)
        .cnp("default", """
            endpointSelector: {matchLabels: {app: server}}
            ingressDeny:
            - fromEndpoints: [{matchLabels: {app: client}}]
              toPorts: [{ports: [{port: "80", protocol: TCP}]}]
            """)
        .assertDenied("default/client", "default/server", "80/tcp")
        .assertAllowed("default/client", "default/server", "81/tcp", "80/udp", "8/icmp");
  }

  @Test
  void shouldLetBroadL3DenyBeatMoreSpecificL4AllowUnlikeNaiveMostSpecificWins() {
    // §3.3: deny wins "at any specificity"; "the more specific L3+L4 allow wins" would allow :80.
    cluster()
        .cnp("default", """
            endpointSelector: {matchLabels: {app: server}}
            ingress:
            - fromEndpoints: [{matchLabels: {app: client}}]
              toPorts: [{ports: [{port: "80", protocol: TCP}]}]
            ingressDeny:
            - fromEndpoints: [{matchLabels: {app: client}}]
            """)
        .assertDenied("default/client", "default/server", "80/tcp");
  }

  @Test
  void shouldLetL4DenyForAnyPeerBeatAnL3Allow() {
    // §3.3: a deny on a port (any peer) overrides an L3 allow of that peer on that port only.
    cluster()
        .cnp("default", """
            endpointSelector: {matchLabels: {app: server}}
            ingress:
            - fromEndpoints: [{matchLabels: {app: client}}]
            ingressDeny:
            - toPorts: [{ports: [{port: "22", protocol: TCP}]}]
            """)
        .assertDenied("default/client", "default/server", "22/tcp")
        .assertAllowed("default/client", "default/server", "23/tcp", "22/udp");
  }

  @Test
  void shouldLetClusterwideDenyBeatNamespacedAllow() {
    // §3.3: deny rules of a CCNP override allows of a CNP (policy kinds do not matter).
    cluster()
        .cnp("default", """
            endpointSelector: {matchLabels: {app: server}}
            ingress: [{fromEntities: [all]}]
            """)
        .ccnp("""
            endpointSelector: {}
            ingressDeny: [{fromEntities: [world]}]
            """)
        .assertDenied("ip:8.8.8.8", "default/server", "80/tcp")
        .assertAllowed("default/client", "default/server", "80/tcp");
  }

  @Test
  void shouldLetEgressDenyBeatToEntitiesAll() {
    // §3.3 (egress): an egressDeny to a CIDR overrides toEntities all, on the client side.
    cluster()
        .cnp("default", """
            endpointSelector: {matchLabels: {app: client}}
            egress: [{toEntities: [all]}]
            egressDeny:
            - toCIDRSet: [{cidr: 10.96.0.0/12}]
            - toEndpoints: [{matchLabels: {app: other}}]
            """)
        .assertDenied("default/client", "ip:10.96.0.10", "53/udp")
        .assertDenied("default/client", "default/other", "80/tcp")
        .assertAllowed("default/client", "ip:8.8.8.8", "53/udp")
        .assertAllowed("default/client", "default/server", "80/tcp");
  }

  @Test
  void shouldDenyOnlyWhatTheDenyMatchesAndKeepOtherPeersAllowed() {
    // §3.3: the deny is per peer: other/client is not denied by a deny scoped to default's clients.
    cluster()
        .cnp("default", """
            endpointSelector: {matchLabels: {app: server}}
            ingress:
            - fromEndpoints: [{matchExpressions: [{key: io.kubernetes.pod.namespace, operator: Exists}]}]
            ingressDeny:
            - fromEndpoints: [{matchLabels: {app: client}}]
            """)
        .assertDenied("default/client", "default/server", "80/tcp")
        .assertAllowed("other/client", "default/server", "80/tcp")
        .assertAllowed("default/other", "default/server", "80/tcp");
  }

  @Test
  void shouldPutDirectionInDefaultDenyWithDenyOnlyPolicy() {
    // §3.3/§1.3: deny rules also switch the direction to default-deny; the other direction stays open.
    ClusterFixture c =
        cluster()
            .cnp("default", """
                endpointSelector: {matchLabels: {app: server}}
                ingressDeny:
                - fromEndpoints: [{matchLabels: {app: other}}]
                """);
    c.assertDenied("default/other", "default/server", "80/tcp")
        .assertDenied("default/client", "default/server", "80/tcp")
        .assertDenied("ip:8.8.8.8", "default/server", "80/tcp")
        .assertAllowed("default/server", "default/other", "80/tcp");
    assertThat(c.ingressFrom(ReservedIdentity.REMOTE_NODE, "default/server", "80/tcp").passesL4()).isFalse();
  }

  @Test
  void shouldReportDenyAsDropReason181AndMissingAllowAs133() {
    // §3.3/§7.1: an explicit deny drops with 181 (Policy denied by denylist), no allow with 133.
    ClusterFixture c =
        cluster()
            .cnp("default", """
                endpointSelector: {matchLabels: {app: server}}
                ingress:
                - fromEndpoints: [{matchLabels: {app: client}}]
                ingressDeny:
                - fromEndpoints: [{matchLabels: {app: client}}]
                  toPorts: [{ports: [{port: "80", protocol: TCP}]}]
                """);
    Verdict deny = c.trace("default/client", "default/server", "80/tcp").result().ingress();
    Verdict none = c.trace("default/other", "default/server", "80/tcp").result().ingress();
    assertThat(deny).isInstanceOfSatisfying(Verdict.Denied.class, d -> assertThat(d.reason().code()).isEqualTo(181));
    assertThat(none).isInstanceOfSatisfying(Verdict.Denied.class, d -> assertThat(d.reason().code()).isEqualTo(133));
  }
}
