package io.hexgate.operator.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.operator.identity.ReservedIdentity;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * fromEntities / toEntities (reference §2.5): which identities each entity selects. World is observed
 * through {@code ip:} addresses, pods through the cluster's pods, the other reserved identities by
 * deciding for their identity directly. Ingress from the local host is always allowed (§3.2,
 * allow-localhost), so every ingress expectation includes HOST.
 */
class EntitySemanticsTest {
  @TempDir Path tmp;

  private ClusterFixture cluster(String spec) {
    return ClusterFixture.in(tmp)
        .namespace("default")
        .namespace("other")
        .pod("default/web", "10.0.1.1", "app=web")
        .pod("default/client", "10.0.1.2", "app=client")
        .pod("other/client", "10.0.2.2", "app=client")
        .cnp("default", spec);
  }

  private static Set<ReservedIdentity> allowedIngress(ClusterFixture c, String to) {
    Set<ReservedIdentity> out = EnumSet.noneOf(ReservedIdentity.class);
    for (ReservedIdentity r : ReservedIdentity.values()) {
      if (c.ingressFrom(r, to, "80/tcp").passesL4()) {
        out.add(r);
      }
    }
    return out;
  }

  private static Set<ReservedIdentity> allowedEgress(ClusterFixture c, String from) {
    Set<ReservedIdentity> out = EnumSet.noneOf(ReservedIdentity.class);
    for (ReservedIdentity r : ReservedIdentity.values()) {
      if (c.egressTo(from, r, "80/tcp").passesL4()) {
        out.add(r);
      }
    }
    return out;
  }

  @Test
  void shouldAllowEverythingWithEntityAll() {
    // §2.5/§2.3: all = wildcard, world and every reserved identity included.
    ClusterFixture c =
        cluster("""
            endpointSelector: {matchLabels: {app: web}}
            ingress: [{fromEntities: [all]}]
            """);
    c.assertAllowed("ip:8.8.8.8", "default/web", "80/tcp", "53/udp", "8/icmp")
        .assertAllowed("other/client", "default/web", "80/tcp")
        .assertAllowed("default/client", "default/web", "80/tcp");
    assertThat(allowedIngress(c, "default/web")).isEqualTo(EnumSet.allOf(ReservedIdentity.class));
  }

  @Test
  void shouldAllowOnlyOutsideAddressesWithEntityWorld() {
    // §2.5: world = reserved:world (and CIDR identities, which carry it); never pods or nodes.
    ClusterFixture c =
        cluster("""
            endpointSelector: {matchLabels: {app: web}}
            ingress: [{fromEntities: [world]}]
            egress: [{toEntities: [world]}]
            """);
    c.assertAllowed("ip:8.8.8.8", "default/web", "80/tcp")
        .assertDenied("default/client", "default/web", "80/tcp")
        .assertAllowed("default/web", "ip:1.1.1.1", "443/tcp")
        .assertDenied("default/web", "default/client", "443/tcp");
    assertThat(allowedIngress(c, "default/web")).containsExactlyInAnyOrder(ReservedIdentity.WORLD, ReservedIdentity.HOST);
    assertThat(allowedEgress(c, "default/web")).containsExactly(ReservedIdentity.WORLD);
  }

  @Test
  void shouldSelectCidrIdentitiesWithEntityWorld() {
    // §2.5: CIDR identities carry reserved:world, so an address under a prefix another rule names is
    // still world.
    cluster("""
            endpointSelector: {matchLabels: {app: web}}
            ingress:
            - fromEntities: [world]
            - fromCIDR: [8.8.8.0/24]
              toPorts: [{ports: [{port: "1", protocol: UDP}]}]
            """)
        .assertAllowed("ip:8.8.8.8", "default/web", "80/tcp")
        .assertAllowed("ip:9.9.9.9", "default/web", "80/tcp");
  }

  @Test
  void shouldAllowPodsAndNodesButNotWorldWithEntityCluster() {
    // §2.5: cluster = host, remote-node, init, ingress, health, unmanaged, kube-apiserver + local pods.
    ClusterFixture c =
        cluster("""
            endpointSelector: {matchLabels: {app: web}}
            ingress: [{fromEntities: [cluster]}]
            egress: [{toEntities: [cluster]}]
            """);
    c.assertAllowed("default/client", "default/web", "80/tcp")
        .assertAllowed("other/client", "default/web", "80/tcp")
        .assertDenied("ip:8.8.8.8", "default/web", "80/tcp")
        .assertAllowed("default/web", "other/client", "80/tcp")
        .assertDenied("default/web", "ip:8.8.8.8", "80/tcp");
    Set<ReservedIdentity> cluster = EnumSet.complementOf(EnumSet.of(ReservedIdentity.WORLD));
    assertThat(allowedIngress(c, "default/web")).isEqualTo(cluster);
    assertThat(allowedEgress(c, "default/web")).isEqualTo(cluster);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "host, HOST",
    "remote-node, REMOTE_NODE",
    "health, HEALTH",
    "init, INIT",
    "ingress, INGRESS",
    "unmanaged, UNMANAGED",
  })
  void shouldSelectExactlyItsReservedIdentity(String entity, ReservedIdentity identity) {
    // §2.5 table: each of these entities selects only the identity with its reserved: label.
    ClusterFixture c =
        cluster("endpointSelector: {matchLabels: {app: web}}\n"
            + "ingress: [{fromEntities: [" + entity + "]}]\n"
            + "egress: [{toEntities: [" + entity + "]}]\n");
    Set<ReservedIdentity> selected = EnumSet.of(identity);
    if (identity == ReservedIdentity.REMOTE_NODE) {
      // §4.1: identity 7 (kube-apiserver) carries reserved:remote-node too.
      selected.add(ReservedIdentity.KUBE_APISERVER);
    }
    assertThat(allowedEgress(c, "default/web")).isEqualTo(selected);
    selected.add(ReservedIdentity.HOST);
    assertThat(allowedIngress(c, "default/web")).isEqualTo(selected);
    c.assertDenied("default/client", "default/web", "80/tcp")
        .assertDenied("ip:8.8.8.8", "default/web", "80/tcp")
        .assertDenied("default/web", "default/client", "80/tcp")
        .assertDenied("default/web", "ip:8.8.8.8", "80/tcp");
  }

  @Test
  void shouldAlwaysAllowIngressFromTheLocalHostUnlessADenyMatchesIt() {
    // §3.2: under Kubernetes allow-localhost=always lets the host reach its pods; §3.3: a deny still wins.
    ClusterFixture c =
        cluster("""
            endpointSelector: {matchLabels: {app: web}}
            ingress: [{fromEntities: [world]}]
            """);
    assertThat(c.ingressFrom(ReservedIdentity.HOST, "default/web", "80/tcp").passesL4()).isTrue();
    assertThat(c.ingressFrom(ReservedIdentity.REMOTE_NODE, "default/web", "80/tcp").passesL4()).isFalse();
    ClusterFixture denied =
        ClusterFixture.in(tmp)
            .pod("default/web", "10.0.1.1", "app=web")
            .cnp("default", """
                endpointSelector: {matchLabels: {app: web}}
                ingress: [{fromEntities: [all]}]
                ingressDeny: [{fromEntities: [host]}]
                """);
    assertThat(denied.ingressFrom(ReservedIdentity.HOST, "default/web", "80/tcp").passesL4()).isFalse();
    assertThat(denied.ingressFrom(ReservedIdentity.REMOTE_NODE, "default/web", "80/tcp").passesL4()).isTrue();
  }

  @Test
  void shouldApplyL7RulesToTheLocalHostWhenAWildcardL7RuleCoversThePort() {
    // §3.2/§7.5: the host's allow is a plain L3 entry; a proxy redirect on the port takes precedence.
    ClusterFixture c =
        cluster("""
            endpointSelector: {matchLabels: {app: web}}
            ingress:
            - toPorts:
              - ports: [{port: "80", protocol: TCP}]
                rules: {http: [{method: GET}]}
            """);
    assertThat(c.ingressFrom(ReservedIdentity.HOST, "default/web", "80/tcp"))
        .isInstanceOfSatisfying(
            Verdict.Redirected.class,
            r -> {
              assertThat(r.allows(new HttpRequest("GET", "/", null))).isTrue();
              assertThat(r.allows(new HttpRequest("POST", "/", null))).isFalse();
            });
    assertThat(c.ingressFrom(ReservedIdentity.HOST, "default/web", "81/tcp")).isInstanceOf(Verdict.Allowed.class);
  }

  @Test
  void shouldSelectOnlyTheApiserverWithEntityKubeApiserver() {
    // §2.5: kube-apiserver = reserved:kube-apiserver only; other remote nodes stay denied.
    ClusterFixture c =
        cluster("""
            endpointSelector: {matchLabels: {app: web}}
            egress: [{toEntities: [kube-apiserver]}]
            """);
    assertThat(allowedEgress(c, "default/web")).containsExactly(ReservedIdentity.KUBE_APISERVER);
    c.assertDenied("default/web", "ip:8.8.8.8", "443/tcp")
        .assertDenied("default/web", "default/client", "443/tcp");
  }

  @Test
  void shouldSelectNothingWithEntityNoneYetEnableDefaultDeny() {
    // §2.5: none is a label never assigned; the rule still counts, so the direction is default-deny.
    ClusterFixture c =
        cluster("""
            endpointSelector: {matchLabels: {app: web}}
            ingress: [{fromEntities: [none]}]
            """);
    assertThat(allowedIngress(c, "default/web")).containsExactly(ReservedIdentity.HOST);
    c.assertDenied("default/client", "default/web", "80/tcp")
        .assertDenied("ip:8.8.8.8", "default/web", "80/tcp")
        .assertAllowed("default/web", "default/client", "80/tcp");
  }
}
