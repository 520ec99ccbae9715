package io.hexgate.operator.policy;

import io.hexgate.operator.identity.CidrPrefix;
import static io.hexgate.operator.policy.ClusterFixture.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.operator.identity.Label;
import io.hexgate.operator.identity.Labels;
import io.hexgate.operator.identity.ReservedIdentity;
import io.hexgate.operator.identity.SecurityLabels;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator-level policy bypasses Cilium shipped (cilium-policy.md §11), one test each, named after
 * the advisory: each sets up what went wrong upstream and asserts the verdict Cilium promises.
 */
class AdvisoryRegressionTest {
  @TempDir Path tmp;

  // ---------------------------------------------------------------- forged security labels

  /** {@code prod} allows only its own clients; {@code dev/fake} claims to live in prod. */
  private ClusterFixture prodAndAForger(String... forged) {
    String[] labels = new String[forged.length + 1];
    labels[0] = "app=client";
    System.arraycopy(forged, 0, labels, 1, forged.length);
    return ClusterFixture.in(tmp)
        .namespace("prod")
        .namespace("dev")
        .pod("prod/api", "10.0.1.1", "app=api")
        .pod("prod/client", "10.0.1.2", "app=client")
        .pod("dev/fake", "10.0.2.1", labels)
        .cnp("prod", """
            endpointSelector: {}
            ingress:
            - fromEndpoints: [{}]
            """);
  }

  @Test
  @DisplayName("CVE-2023-39347: a pod label claiming another namespace is ignored on create")
  void cve_2023_39347_podLabelClaimingANamespaceIsIgnoredOnCreate() {
    ClusterFixture c = prodAndAForger("io.kubernetes.pod.namespace=prod");
    c.assertAllowed("prod/client", "prod/api", "80/tcp")
        .assertDenied("dev/fake", "prod/api", "80/tcp")
        // prod's endpointSelector {} does not select it either: its ingress stays open
        .assertAllowed("prod/client", "dev/fake", "80/tcp");
    Labels labels = c.engine().identityOf(new Endpoint.Key("dev", "fake")).labels();
    assertThat(labels.value(Label.SOURCE_K8S, SecurityLabels.NAMESPACE)).isEqualTo("dev");
    assertThat(labels.asList()).noneMatch(l -> l.value().equals("prod"));
  }

  @Test
  @DisplayName("CVE-2023-39347: a pod label claiming another namespace is ignored on update")
  void cve_2023_39347_podLabelClaimingANamespaceIsIgnoredOnUpdate() {
    ClusterFixture c = prodAndAForger();
    c.assertDenied("dev/fake", "prod/api", "80/tcp");
    PolicyEngine engine = c.engine();
    Endpoint before = engine.endpoint(new Endpoint.Key("dev", "fake"));
    long identityBefore = engine.identityOf(before.key()).id();
    engine.upsertEndpoint(
        new Endpoint(
            "dev",
            "fake",
            before.ip(),
            Map.of(
                "app", "client",
                SecurityLabels.NAMESPACE, "prod",
                SecurityLabels.SERVICE_ACCOUNT, "prod-admin",
                SecurityLabels.CLUSTER, "other",
                SecurityLabels.NAMESPACE_LABELS_PREFIX + "kubernetes.io/metadata.name", "prod",
                "reserved:host", ""),
            before.serviceAccount(),
            before.node(),
            List.of()));

    c.assertDenied("dev/fake", "prod/api", "80/tcp").assertAllowed("prod/client", "dev/fake", "80/tcp");
    assertThat(engine.identityOf(before.key()).id()).isEqualTo(identityBefore);
    Labels labels = engine.identityOf(before.key()).labels();
    assertThat(labels.value(Label.SOURCE_K8S, SecurityLabels.NAMESPACE)).isEqualTo("dev");
    assertThat(labels.value(Label.SOURCE_K8S, SecurityLabels.SERVICE_ACCOUNT)).isEqualTo("default");
    assertThat(labels.value(Label.SOURCE_K8S, SecurityLabels.CLUSTER)).isEqualTo("default");
    assertThat(labels.has(Label.SOURCE_RESERVED, "host")).isFalse();
    assertThat(labels.asList()).noneMatch(l -> l.key().contains(":") || l.value().startsWith("prod"));
  }

  @Test
  @DisplayName("CVE-2023-39347: service account and cluster come from the pod spec and the operator, not labels")
  void cve_2023_39347_serviceAccountAndClusterLabelsAreIgnored() {
    ClusterFixture.in(tmp)
        .pod("default/db", "10.0.1.1", "app=db")
        .pod("default/intruder", "10.0.1.2", "app=x", "io.cilium.k8s.policy.serviceaccount=backup")
        .cnp("default", """
            endpointSelector: {matchLabels: {app: db}}
            ingress:
            - fromEndpoints: [{matchLabels: {io.cilium.k8s.policy.serviceaccount: backup}}]
            """)
        .assertDenied("default/intruder", "default/db", "5432/tcp");
    ClusterFixture.in(tmp)
        .pod("default/db", "10.0.1.1", "app=db")
        .pod("default/intruder", "10.0.1.2", "app=x", "io.cilium.k8s.policy.cluster=elsewhere")
        .cnp("default", """
            endpointSelector: {matchLabels: {app: db}}
            ingress:
            - fromEndpoints: [{matchExpressions: [{key: io.cilium.k8s.policy.cluster, operator: NotIn, values: [default]}]}]
            """)
        .assertDenied("default/intruder", "default/db", "5432/tcp");
  }

  @Test
  @DisplayName("GHSA-pfhr-pccp-hwmh: namespace labels come only from the Namespace object")
  void ghsa_pfhr_pccp_hwmh_namespaceLabelsComeOnlyFromTheNamespace() {
    ClusterFixture c =
        ClusterFixture.in(tmp)
            .namespace("corp", "team=x")
            .namespace("dev", "team=y")
            .pod("corp/api", "10.0.1.1", "app=api")
            .pod("corp/member", "10.0.1.2", "app=member")
            .pod("dev/fake", "10.0.2.1", "app=member", "io.cilium.k8s.namespace.labels.team=x")
            .cnp("corp", """
                endpointSelector: {matchLabels: {app: api}}
                ingress:
                - fromEndpoints: [{matchLabels: {io.cilium.k8s.namespace.labels.team: x}}]
                """)
            .ccnp("""
                endpointSelector: {matchLabels: {io.cilium.k8s.namespace.labels.team: x}}
                ingress:
                - fromEntities: [world]
                """);
    c.assertAllowed("corp/member", "corp/api", "80/tcp")
        .assertDenied("dev/fake", "corp/api", "80/tcp")
        // the clusterwide ingress lockdown of team=x namespaces selects corp's pods, not the forger
        .assertDenied("dev/fake", "corp/member", "80/tcp")
        .assertAllowed("corp/member", "dev/fake", "80/tcp");
    Labels labels = c.engine().identityOf(new Endpoint.Key("dev", "fake")).labels();
    assertThat(labels.value(Label.SOURCE_K8S, SecurityLabels.NAMESPACE_LABELS_PREFIX + "team")).isEqualTo("y");
  }

  // ---------------------------------------------------------------- namespace confinement

  @Test
  @DisplayName("CVE-2023-41333: a CNP whose endpointSelector names reserved:init stays in its namespace")
  void cve_2023_41333_cnpNamingReservedInitNeverSelectsOutsideItsNamespace() {
    ClusterFixture.in(tmp)
        .namespace("default")
        .namespace("other")
        .pod("default/web", "10.0.1.1", "app=web")
        .pod("default/client", "10.0.1.2", "app=client")
        .pod("other/web", "10.0.2.1", "app=web")
        .pod("other/client", "10.0.2.2", "app=client")
        .cnp("default", """
            endpointSelector:
              matchExpressions: [{key: "reserved:init", operator: DoesNotExist}]
            ingress: [{}]
            egress: [{}]
            """)
        .cnp("default", """
            endpointSelector: {matchLabels: {"reserved:init": ""}}
            ingress: [{}]
            """)
        .assertDenied("default/client", "default/web", "80/tcp")
        .assertAllowed("other/client", "other/web", "80/tcp");
  }

  @Test
  @DisplayName("CVE-2023-41333: a CNP never selects subjects outside its namespace, even naming another")
  void cve_2023_41333_cnpNeverSelectsOutsideItsNamespace() {
    ClusterFixture c =
        ClusterFixture.in(tmp)
            .namespace("default")
            .namespace("other")
            .pod("default/web", "10.0.1.1", "app=web")
            .pod("other/web", "10.0.2.1", "app=web")
            .pod("other/client", "10.0.2.2", "app=client")
            .cnp("default", """
                endpointSelector:
                  matchExpressions: [{key: "k8s:io.kubernetes.pod.namespace", operator: In, values: [other, default]}]
                ingress: [{}]
                """)
            .cnp("default", """
                endpointSelector: {matchLabels: {"io.kubernetes.pod.namespace": other}}
                ingress: [{}]
                """);
    c.assertAllowed("other/client", "other/web", "80/tcp").assertDenied("other/client", "default/web", "80/tcp");
    long otherWeb = c.engine().identityOf(new Endpoint.Key("other", "web")).id();
    assertThat(c.engine().policy(otherWeb)).satisfiesAnyOf(
        p -> assertThat(p).isNull(), p -> assertThat(p.rules()).isEmpty());
  }

  // ---------------------------------------------------------------- CIDR deny against a narrower allow

  @Test
  @DisplayName("GO-2024-3208: a CIDR deny beats a narrower CIDR allow, whatever the prefix lengths")
  void go_2024_3208_cidrDenyBeatsANarrowerCidrAllow() {
    ClusterFixture c =
        ClusterFixture.in(tmp)
            .pod("default/app", "10.0.1.1", "app=app")
            .cnp("default", """
                endpointSelector: {matchLabels: {app: app}}
                egress:
                - toCIDR: [192.0.2.0/28]
                - toCIDRSet: [{cidr: 198.51.100.0/24}]
                egressDeny:
                - toCIDR: [192.0.2.0/24]
                - toCIDRSet: [{cidr: 198.51.100.128/25}]
                ingress:
                - fromCIDR: [203.0.113.8/29]
                ingressDeny:
                - fromCIDR: [203.0.113.0/24]
                """);
    c.assertDenied("default/app", "ip:192.0.2.5", "443/tcp")
        .assertDenied("default/app", "ip:192.0.2.200", "443/tcp")
        .assertDenied("default/app", "ip:198.51.100.200", "443/tcp")
        .assertAllowed("default/app", "ip:198.51.100.5", "443/tcp")
        .assertDenied("ip:203.0.113.9", "default/app", "80/tcp");

    // In the rule map the datapath gets: the identity the IP cache gives the narrower prefix (the
    // longest match for its addresses) carries the broader prefix's deny.
    PolicyEngine engine = c.engine();
    Endpoint app = c.endpoint("default/app");
    long narrowEgress = engine.cidrIdentities().get(CidrPrefix.parse("192.0.2.0/28"));
    long narrowIngress = engine.cidrIdentities().get(CidrPrefix.parse("203.0.113.8/29"));
    assertThat(engine.ruleMap(app.key(), Direction.EGRESS).lookup(narrowEgress, Protocol.TCP, 443))
        .isInstanceOf(Verdict.Denied.class);
    assertThat(engine.ruleMap(app.key(), Direction.INGRESS).lookup(narrowIngress, Protocol.TCP, 80))
        .isInstanceOf(Verdict.Denied.class);
    assertThat(engine.identityForAddress("192.0.2.5").id()).isEqualTo(narrowEgress);
  }

  // ---------------------------------------------------------------- L7 rule sets per peer and port

  @Test
  @DisplayName("CVE-2023-30851: L7 rules are merged strictly per (peer identity, port)")
  void cve_2023_30851_l7RulesMergedStrictlyPerPeerAndPort() {
    ClusterFixture.in(tmp)
        .pod("default/api", "10.0.1.1", "app=api")
        .pod("default/client", "10.0.1.2", "app=client")
        .pod("default/admin", "10.0.1.3", "app=admin")
        .cnp("default", """
            endpointSelector: {matchLabels: {app: api}}
            ingress:
            - fromEndpoints: [{matchLabels: {app: client}}, {matchLabels: {app: admin}}]
              toPorts:
              - ports: [{port: "80", protocol: TCP}]
                rules: {http: [{method: GET, path: "/public/.*"}]}
            - fromEndpoints: [{matchLabels: {app: admin}}]
              toPorts:
              - ports: [{port: "80", protocol: TCP}]
            - fromEndpoints: [{matchLabels: {app: client}}]
              toPorts:
              - ports: [{port: "8080", protocol: TCP}]
            """)
        // admin's L4-only allow on 80 makes its L7 allow-all there ...
        .assertHttpAllowed("default/admin", "default/api", "80/tcp", request("DELETE", "/private/x"))
        // ... and leaks to no other peer on that port, nor from another port of the same peer
        .assertHttpAllowed("default/client", "default/api", "80/tcp", request("GET", "/public/x"))
        .assertHttpDenied("default/client", "default/api", "80/tcp", request("DELETE", "/private/x"))
        .assertHttpDenied("default/client", "default/api", "80/tcp", request("GET", "/private/x"));
  }

  // ---------------------------------------------------------------- unresolvable peers

  @Test
  @DisplayName("GHSA-38pp-6gcp-rqvm: an unresolvable toGroups peer denies, never allows all")
  void ghsa_38pp_6gcp_rqvm_unresolvableGroupsPeerDeniesNeverAllowsAll() {
    ClusterFixture c =
        ClusterFixture.in(tmp)
            .pod("default/app", "10.0.1.1", "app=app")
            .pod("default/db", "10.0.1.2", "app=db")
            .cnp("default", """
                endpointSelector: {matchLabels: {app: app}}
                egress:
                - toGroups: [{aws: {securityGroupsIds: [sg-0123456789]}}]
                - toGroups: [{aws: {labels: {group: db}}}]
                  toPorts: [{ports: [{port: "5432", protocol: TCP}]}]
                ingress:
                - fromGroups: [{aws: {securityGroupsNames: [admins]}}]
                """);
    c.assertDenied("default/app", "ip:192.0.2.1", "443/tcp", "53/udp")
        .assertDenied("default/app", "default/db", "5432/tcp", "80/tcp")
        .assertDenied("default/db", "default/app", "80/tcp")
        .assertDenied("ip:198.51.100.1", "default/app", "80/tcp");
    Endpoint app = c.endpoint("default/app");
    for (Direction d : Direction.values()) {
      RuleMap map = c.engine().ruleMap(app.key(), d);
      assertThat(map.enforcing()).isTrue();
      // nothing but allow-localhost (the local host, identity 1, on ingress) is allowed
      assertThat(map.entries())
          .noneMatch(e -> e.action() != RuleMapEntry.Action.DENY && e.remoteIdentity() != ReservedIdentity.HOST.id());
    }
    assertThat(c.trace("default/app", "ip:192.0.2.1", "443/tcp").output()).contains("toGroups is not enforced");
  }

  // ---------------------------------------------------------------- node-scoped rules

  @Test
  @DisplayName("GHSA-c6pf-2v8j-96mc: node-scoped rules never admit pod identities")
  void ghsa_c6pf_2v8j_96mc_nodeScopedRulesNeverAdmitPods() {
    ClusterFixture c =
        ClusterFixture.in(tmp)
            .namespace("default")
            .namespace("other")
            .pod("default/api", "10.0.1.1", "app=api")
            .pod("default/client", "10.0.1.2", "app=client")
            .pod("other/client", "10.0.2.2", "app=client")
            .cnp("default", """
                endpointSelector: {matchLabels: {app: api}}
                ingress:
                - fromNodes: [{}]
                - fromNodes: [{matchLabels: {app: client}}]
                  toPorts: [{ports: [{port: "80", protocol: TCP}]}]
                egress:
                - toNodes: [{}]
                """)
            .ccnp("""
                nodeSelector: {}
                ingress:
                - fromEntities: [all]
                egress:
                - toEntities: [all]
                """)
            .ccnp("""
                nodeSelector: {matchLabels: {app: client}}
                ingress:
                - fromEndpoints: [{}]
                """);
    c.assertDenied("default/client", "default/api", "80/tcp", "443/tcp")
        .assertDenied("other/client", "default/api", "80/tcp")
        .assertDenied("default/api", "default/client", "80/tcp")
        .assertAllowed("default/client", "other/client", "80/tcp");
    for (ReservedIdentity r : List.of(ReservedIdentity.WORLD, ReservedIdentity.REMOTE_NODE)) {
      assertThat(c.ingressFrom(r, "default/api", "80/tcp")).isInstanceOf(Verdict.Denied.class);
    }
  }
}
