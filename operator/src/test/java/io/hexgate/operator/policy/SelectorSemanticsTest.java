package io.hexgate.operator.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.operator.identity.Label;
import io.hexgate.operator.identity.Labels;
import io.hexgate.operator.identity.ReservedIdentity;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Endpoint selectors: which pods a rule applies to, which peers it names, and how a CNP's selectors are
 * confined to its namespace while a CCNP's are not. Expectations from the reference (cilium-policy.md).
 */
class SelectorSemanticsTest {
  @TempDir Path tmp;

  /** Three pods in {@code default}, one look-alike in {@code other}, all allowed out. */
  private ClusterFixture cluster() {
    return ClusterFixture.in(tmp)
        .namespace("default")
        .namespace("other", "team=blue")
        .pod("default/web", "10.0.1.1", "app=web", "tier=front")
        .pod("default/api", "10.0.1.2", "app=api", "tier=back")
        .pod("default/db", "10.0.1.3", "app=db")
        .pod("default/client", "10.0.1.4", "app=client")
        .pod("other/client", "10.0.2.4", "app=client")
        .pod("other/web", "10.0.2.1", "app=web", "tier=front");
  }

  // ---------------------------------------------------------------- endpointSelector

  @Test
  void shouldApplyRuleOnlyToPodsMatchingAllMatchLabels() {
    // §1.2 endpointSelector: subjects are the pods whose labels match; matchLabels entries are ANDed.
    cluster()
        .cnp("default", """
            endpointSelector: {matchLabels: {app: web, tier: front}}
            ingress: [{}]
            """)
        .assertDenied("default/client", "default/web", "80/tcp")
        .assertAllowed("default/client", "default/api", "80/tcp")
        .assertAllowed("default/client", "default/db", "80/tcp");
  }

  @Test
  void shouldSelectSubjectsWithMatchExpressionIn() {
    // §3.4: matchExpressions entries follow Kubernetes label-selector semantics; In = value in the set.
    cluster()
        .cnp("default", """
            endpointSelector:
              matchExpressions: [{key: app, operator: In, values: [web, api]}]
            ingress: [{}]
            """)
        .assertDenied("default/client", "default/web", "80/tcp")
        .assertDenied("default/client", "default/api", "80/tcp")
        .assertAllowed("default/client", "default/db", "80/tcp");
  }

  @Test
  void shouldSelectSubjectsWithMatchExpressionNotInIncludingPodsWithoutTheKey() {
    // §3.4 / Kubernetes selectors: NotIn also matches pods that lack the key (db has no tier label).
    cluster()
        .cnp("default", """
            endpointSelector:
              matchExpressions: [{key: tier, operator: NotIn, values: [front]}]
            ingress: [{}]
            """)
        .assertAllowed("default/api", "default/web", "80/tcp")
        .assertDenied("default/web", "default/api", "80/tcp")
        .assertDenied("default/web", "default/db", "80/tcp");
  }

  @Test
  void shouldSelectSubjectsWithMatchExpressionExistsAndDoesNotExist() {
    // §3.4 / Kubernetes selectors: Exists needs the key with any value, DoesNotExist its absence.
    cluster()
        .cnp("default", """
            endpointSelector:
              matchExpressions: [{key: tier, operator: Exists}]
            ingress: [{}]
            """)
        .assertDenied("default/client", "default/web", "80/tcp")
        .assertDenied("default/client", "default/api", "80/tcp")
        .assertAllowed("default/client", "default/db", "80/tcp");
    ClusterFixture.in(tmp)
        .pod("default/web", "10.0.1.1", "app=web", "tier=front")
        .pod("default/db", "10.0.1.3", "app=db")
        .pod("default/client", "10.0.1.4", "app=client")
        .cnp("default", """
            endpointSelector:
              matchExpressions: [{key: tier, operator: DoesNotExist}]
            egress: [{}]
            """)
        .assertDenied("default/db", "default/web", "80/tcp")
        .assertDenied("default/client", "default/web", "80/tcp")
        .assertAllowed("default/web", "default/db", "80/tcp");
  }

  @Test
  void shouldAndMatchLabelsWithMatchExpressions() {
    // §3.4: matchExpressions entries are ANDed, with each other and with matchLabels.
    cluster()
        .cnp("default", """
            endpointSelector:
              matchLabels: {app: web}
              matchExpressions:
              - {key: tier, operator: In, values: [front]}
              - {key: app, operator: NotIn, values: [api]}
            ingress:
            - fromEndpoints:
              - matchExpressions:
                - {key: app, operator: In, values: [client, api]}
                - {key: tier, operator: DoesNotExist}
            """)
        .assertAllowed("default/client", "default/web", "80/tcp")
        .assertDenied("default/api", "default/web", "80/tcp")
        .assertDenied("default/db", "default/web", "80/tcp");
  }

  @Test
  void shouldTreatKeysWithAndWithoutK8sPrefixAlikeForPodLabels() {
    // §3.4: a key without source is "any:" and matches every source; "k8s:" matches pod labels.
    cluster()
        .cnp("default", """
            endpointSelector: {matchLabels: {"k8s:app": web}}
            ingress:
            - fromEndpoints: [{matchLabels: {"k8s:app": client}}]
            - fromEndpoints: [{matchLabels: {app: api}}]
            """)
        .assertAllowed("default/client", "default/web", "80/tcp")
        .assertAllowed("default/api", "default/web", "80/tcp")
        .assertDenied("default/db", "default/web", "80/tcp");
  }

  @Test
  void shouldMatchAnySourceWithoutPrefixButOnlyKubernetesLabelsWithK8sPrefix() {
    // §3.4/§3.5: "any:" matches a key of any source (here reserved:host); "k8s:host" does not.
    Labels host = ReservedIdentity.HOST.identity().labels();
    assertThat(LabelSelector.of(Requirement.of("host", Requirement.Operator.EXISTS, List.of()))
            .selects(ReservedIdentity.HOST.identity()))
        .isTrue();
    assertThat(LabelSelector.of(Requirement.of("k8s:host", Requirement.Operator.EXISTS, List.of()))
            .selects(ReservedIdentity.HOST.identity()))
        .isFalse();
    assertThat(host.has(Label.SOURCE_RESERVED, "host")).isTrue();
  }

  @Test
  @DisplayName("CVE-2023-41333: a CNP endpointSelector is confined to its namespace")
  void shouldConfineCnpEndpointSelectorToItsNamespace() {
    // §3.4: a CNP's endpointSelector always gets k8s:io.kubernetes.pod.namespace=<its namespace>.
    cluster()
        .cnp("default", """
            endpointSelector: {matchLabels: {app: web}}
            ingress: [{}]
            """)
        .assertDenied("default/client", "default/web", "80/tcp")
        .assertAllowed("default/client", "other/web", "80/tcp");
  }

  @Test
  @DisplayName("CVE-2023-41333: a CNP endpointSelector naming another namespace cannot escape its own")
  void shouldNotLetCnpEndpointSelectorEscapeItsNamespaceByNamingAnother() {
    // §3.4: "a user namespace match for another namespace is logged as illegal and cannot escape N".
    cluster()
        .cnp("default", """
            endpointSelector: {matchLabels: {"k8s:io.kubernetes.pod.namespace": other, app: web}}
            ingress: [{}]
            """)
        .assertAllowed("default/client", "other/web", "80/tcp")
        .assertAllowed("default/client", "default/web", "80/tcp");
  }

  // ---------------------------------------------------------------- fromEndpoints / toEndpoints scoping

  @Test
  void shouldConfineCnpFromEndpointsToPolicyNamespaceUnlikeNaiveLabelMatch() {
    // §3.4: CNP peers get the policy's namespace; a naive label match would admit other/client too.
    cluster()
        .cnp("default", """
            endpointSelector: {matchLabels: {app: web}}
            ingress:
            - fromEndpoints: [{matchLabels: {app: client}}]
            """)
        .assertAllowed("default/client", "default/web", "80/tcp")
        .assertDenied("other/client", "default/web", "80/tcp");
  }

  @Test
  void shouldConfineCnpToEndpointsToPolicyNamespaceUnlikeNaiveLabelMatch() {
    // §3.4: the same scoping on egress; a naive label match would let client reach other/web.
    cluster()
        .cnp("default", """
            endpointSelector: {matchLabels: {app: client}}
            egress:
            - toEndpoints: [{matchLabels: {app: web}}]
            """)
        .assertAllowed("default/client", "default/web", "80/tcp")
        .assertDenied("default/client", "other/web", "80/tcp");
  }

  @Test
  void shouldLetCnpPeerNameAnotherNamespaceWithNamespaceKey() {
    // §3.4: a peer selector mentioning io.kubernetes.pod.namespace gets no namespace added.
    cluster()
        .cnp("default", """
            endpointSelector: {matchLabels: {app: web}}
            ingress:
            - fromEndpoints: [{matchLabels: {"k8s:io.kubernetes.pod.namespace": other, app: client}}]
            """)
        .assertAllowed("other/client", "default/web", "80/tcp")
        .assertDenied("default/client", "default/web", "80/tcp");
  }

  @Test
  void shouldLetCnpPeerSelectAllNamespacesWithNamespaceExists() {
    // §3.4 example "peer in any namespace": k8s:io.kubernetes.pod.namespace Exists.
    cluster()
        .cnp("default", """
            endpointSelector: {matchLabels: {app: web}}
            ingress:
            - fromEndpoints:
              - matchLabels: {app: client}
                matchExpressions: [{key: io.kubernetes.pod.namespace, operator: Exists}]
            """)
        .assertAllowed("other/client", "default/web", "80/tcp")
        .assertAllowed("default/client", "default/web", "80/tcp")
        .assertDenied("default/api", "default/web", "80/tcp")
        .assertDenied("ip:8.8.8.8", "default/web", "80/tcp");
  }

  @Test
  void shouldLetCnpPeerSelectByNamespaceLabelsWithoutNamespaceConfinement() {
    // §3.4 (1.16+): io.cilium.k8s.namespace.labels.* keys are not confined to the policy's namespace.
    cluster()
        .cnp("default", """
            endpointSelector: {matchLabels: {app: web}}
            ingress:
            - fromEndpoints: [{matchLabels: {"k8s:io.cilium.k8s.namespace.labels.team": blue}}]
            """)
        .assertAllowed("other/client", "default/web", "80/tcp")
        .assertDenied("default/client", "default/web", "80/tcp");
  }

  @Test
  void shouldSelectNothingWithEmptyPeerListsEvenWithPorts() {
    // §2.3: fromEndpoints: [] (empty list) selects nothing; unlike an omitted member it is no wildcard.
    cluster()
        .cnp("default", """
            endpointSelector: {matchLabels: {app: web}}
            ingress:
            - fromEndpoints: []
              toPorts: [{ports: [{port: "80", protocol: TCP}]}]
            - fromEntities: []
              toPorts: [{ports: [{port: "81", protocol: TCP}]}]
            - fromCIDRSet: []
              toPorts: [{ports: [{port: "82", protocol: TCP}]}]
            egress:
            - toCIDR: []
              toPorts: [{ports: [{port: "443", protocol: TCP}]}]
            """)
        .assertDenied("default/client", "default/web", "80/tcp", "81/tcp", "82/tcp")
        .assertDenied("ip:8.8.8.8", "default/web", "80/tcp", "81/tcp", "82/tcp")
        .assertDenied("default/web", "ip:8.8.8.8", "443/tcp")
        .assertDenied("default/web", "default/client", "443/tcp");
  }

  @Test
  void shouldSelectOnlyOwnNamespaceWithEmptyCnpPeerSelector() {
    // §2.3: fromEndpoints [{}] in a CNP = all pods of the policy's namespace (not world, not others).
    cluster()
        .cnp("default", """
            endpointSelector: {matchLabels: {app: web}}
            ingress:
            - fromEndpoints: [{}]
            """)
        .assertAllowed("default/client", "default/web", "80/tcp")
        .assertAllowed("default/db", "default/web", "80/tcp")
        .assertDenied("other/client", "default/web", "80/tcp")
        .assertDenied("ip:8.8.8.8", "default/web", "80/tcp");
  }

  @Test
  void shouldSelectEveryPodInEveryNamespaceWithEmptyCcnpPeerSelectorButNotWorldOrHost() {
    // §2.3: fromEndpoints [{}] in a CCNP = all pods in any namespace; not host, world or health.
    ClusterFixture c =
        cluster()
            .ccnp("""
                endpointSelector: {matchLabels: {app: web}}
                ingress:
                - fromEndpoints: [{}]
                egress:
                - toEndpoints: [{}]
                """);
    c.assertAllowed("default/client", "default/web", "80/tcp")
        .assertAllowed("other/client", "default/web", "80/tcp")
        .assertAllowed("default/client", "other/web", "80/tcp")
        .assertDenied("ip:8.8.8.8", "default/web", "80/tcp")
        .assertAllowed("default/web", "other/client", "80/tcp")
        .assertDenied("default/web", "ip:8.8.8.8", "80/tcp");
    assertThat(c.ingressFrom(ReservedIdentity.HEALTH, "default/web", "80/tcp").passesL4()).isFalse();
    // Ingress from the local host is always allowed (§3.2), so "not host" shows on egress.
    assertThat(c.egressTo("default/web", ReservedIdentity.HOST, "80/tcp").passesL4()).isFalse();
    assertThat(c.egressTo("default/web", ReservedIdentity.HEALTH, "80/tcp").passesL4()).isFalse();
  }

  @Test
  void shouldApplyCcnpEndpointSelectorInEveryNamespace() {
    // §1.2/§3.4: a CCNP's endpointSelector is unchanged, so it selects pods in all namespaces.
    cluster()
        .ccnp("""
            endpointSelector: {matchLabels: {app: web}}
            ingress:
            - fromEndpoints: [{matchLabels: {app: client}}]
            """)
        .assertAllowed("other/client", "default/web", "80/tcp")
        .assertAllowed("default/client", "other/web", "80/tcp")
        .assertDenied("default/api", "other/web", "80/tcp")
        .assertDenied("default/api", "default/web", "80/tcp");
  }

  @Test
  void shouldLeaveReservedPeerSelectorsUnscoped() {
    // §3.4: from/toEndpoints with a reserved: key are left exactly as written (no namespace added).
    ClusterFixture c =
        cluster()
            .cnp("default", """
                endpointSelector: {matchLabels: {app: web}}
                ingress:
                - fromEndpoints: [{matchLabels: {"reserved:remote-node": ""}}]
                egress:
                - toEndpoints: [{matchLabels: {"reserved:host": ""}}, {matchLabels: {"reserved:world": ""}}]
                """);
    assertThat(c.ingressFrom(ReservedIdentity.REMOTE_NODE, "default/web", "80/tcp").passesL4()).isTrue();
    assertThat(c.ingressFrom(ReservedIdentity.HEALTH, "default/web", "80/tcp").passesL4()).isFalse();
    assertThat(c.egressTo("default/web", ReservedIdentity.HOST, "80/tcp").passesL4()).isTrue();
    assertThat(c.egressTo("default/web", ReservedIdentity.REMOTE_NODE, "80/tcp").passesL4()).isFalse();
    c.assertDenied("default/client", "default/web", "80/tcp")
        .assertAllowed("default/web", "ip:1.1.1.1", "443/tcp")
        .assertDenied("default/web", "default/db", "443/tcp");
  }
}
