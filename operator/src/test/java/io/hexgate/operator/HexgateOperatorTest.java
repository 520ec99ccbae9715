package io.hexgate.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.hexgate.operator.endpoint.api.CiliumEndpoint;
import io.hexgate.operator.identity.CrdIdentityAllocator;
import io.hexgate.operator.identity.api.CiliumIdentity;
import io.hexgate.operator.policy.PolicyRef;
import io.hexgate.operator.policy.api.CiliumNetworkPolicy;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The real operator against the mock API server: identities, CiliumEndpoints, policies, GC, restart. */
class HexgateOperatorTest {
  static final Duration GRACE = Duration.ofMinutes(5);

  private final MockApi api = new MockApi();
  private final KubernetesClient kube = api.client();
  private final MutableClock clock = new MutableClock();
  private HexgateOperator operator;

  @AfterEach
  void close() {
    if (operator != null) {
      operator.stop();
    }
    api.close();
  }

  private HexgateOperator start() {
    HexgateOperator op =
        HexgateOperator.create(TestOperator.config(api.client(), clock).identityGc(GRACE, Duration.ofMillis(100)).build());
    op.start();
    return op;
  }

  static Pod pod(String ns, String name, String ip, Map<String, String> labels) {
    return new PodBuilder()
        .withNewMetadata()
        .withNamespace(ns)
        .withName(name)
        .withLabels(labels)
        .endMetadata()
        .withNewSpec()
        .withNodeName("node-1")
        .addNewContainer()
        .withName("c")
        .withImage("nginx")
        .addNewPort()
        .withName("http")
        .withContainerPort(80)
        .endPort()
        .endContainer()
        .endSpec()
        .withNewStatus()
        .withPodIP(ip)
        .withPhase("Running")
        .endStatus()
        .build();
  }

  private CiliumEndpoint cep(String ns, String name) {
    return kube.resources(CiliumEndpoint.class).inNamespace(ns).withName(name).get();
  }

  private Long identityOf(String ns, String name) {
    CiliumEndpoint c = cep(ns, name);
    return c == null || c.getStatus() == null || c.getStatus().identity == null ? null : c.getStatus().identity.id;
  }

  private Map<String, Map<String, String>> identities() {
    return kube.resources(CiliumIdentity.class).list().getItems().stream()
        .collect(Collectors.toMap(i -> i.getMetadata().getName(), i -> i.securityLabels, (a, b) -> a, TreeMap::new));
  }

  @Test
  void shouldCreateIdentitiesAndEndpointsForPods() {
    operator = start();
    kube.resource(new NamespaceBuilder().withNewMetadata().withName("shop").addToLabels("team", "a").endMetadata().build())
        .create();
    kube.resource(pod("shop", "web-1", "10.0.0.1", Map.of("app", "web"))).create();
    kube.resource(pod("shop", "web-2", "10.0.0.2", Map.of("app", "web", "pod-template-hash", "abc"))).create();
    kube.resource(pod("shop", "db-1", "10.0.0.3", Map.of("app", "db"))).create();

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(identityOf("shop", "web-1")).isNotNull();
              assertThat(identityOf("shop", "web-2")).isEqualTo(identityOf("shop", "web-1"));
              assertThat(identityOf("shop", "db-1")).isNotNull().isNotEqualTo(identityOf("shop", "web-1"));
            });
    assertThat(identities()).hasSize(2);
    CiliumIdentity web =
        kube.resources(CiliumIdentity.class).withName(Long.toString(identityOf("shop", "web-1"))).get();
    assertThat(web.getMetadata().getLabels()).isEqualTo(Map.of("io.kubernetes.pod.namespace", "shop"));
    assertThat(web.securityLabels)
        .isEqualTo(
            Map.of(
                "k8s:app", "web",
                "k8s:io.kubernetes.pod.namespace", "shop",
                "k8s:io.cilium.k8s.namespace.labels.team", "a",
                "k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name", "shop",
                "k8s:io.cilium.k8s.policy.serviceaccount", "default",
                "k8s:io.cilium.k8s.policy.cluster", "default"));
    CiliumEndpoint c = cep("shop", "web-2");
    Pod p = kube.pods().inNamespace("shop").withName("web-2").get();
    assertThat(c.getMetadata().getLabels()).isEqualTo(Map.of("app", "web", "pod-template-hash", "abc"));
    assertThat(c.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
      assertThat(o.getKind()).isEqualTo("Pod");
      assertThat(o.getUid()).isEqualTo(p.getMetadata().getUid());
    });
    assertThat(c.getStatus().identity.labels).isSorted().contains("k8s:app=web", "k8s:io.kubernetes.pod.namespace=shop");
    assertThat(c.getStatus().networking.addressing.get(0).ipv4).isEqualTo("10.0.0.2");
    assertThat(c.getStatus().networking.node).isEqualTo("node-1");
    assertThat(c.getStatus().state.yaml()).isEqualTo("ready");
    assertThat(c.getStatus().namedPorts).singleElement().satisfies(n -> assertThat(n.port).isEqualTo(80));
    assertThat(c.getStatus().policy.ingress.state).isEqualTo("non-enforcing");
  }

  @Test
  void shouldEnforceValidPoliciesAndKeepTheLastGoodVersionOfAnInvalidUpdate() {
    Set<PolicyRef> seenByListener = ConcurrentHashMap.newKeySet();
    operator = TestOperator.create(api.client(), clock);
    operator.addListener((engine, nodes) -> seenByListener.addAll(engine.policyRefs()));
    operator.start();
    kube.resource(pod("default", "web", "10.0.0.1", Map.of("app", "web"))).create();
    kube.resource(pod("default", "db", "10.0.0.2", Map.of("app", "db"))).create();

    CiliumNetworkPolicy good = cnp("web-ingress", "web", "80");
    kube.resource(good).create();
    kube.resource(cnp("broken", "db", "70000")).create();

    PolicyRef goodRef = PolicyRef.cnp("default", "web-ingress");
    PolicyRef badRef = PolicyRef.cnp("default", "broken");
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(cep("default", "web").getStatus().policy.ingress.state).isEqualTo("enforcing");
              assertThat(cep("default", "db").getStatus().policy.ingress.enforcing).isFalse();
              assertThat(operator.validity().get(badRef)).hasValueSatisfying(r -> assertThat(r.errors()).isNotEmpty());
              assertThat(seenByListener).contains(goodRef).doesNotContain(badRef);
            });
    assertThat(operator.validity().get(badRef).get().errors().get(0).path()).contains("port");

    // a patch, as kubectl edit or apply sends: the operator may have written the status since the last read
    kube.resources(CiliumNetworkPolicy.class).inNamespace("default").withName("web-ingress").edit(update -> {
      update.getSpec().ingress.get(0).toPorts.get(0).ports.get(0).port = "70000";
      return update;
    });

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> assertThat(operator.validity().get(goodRef))
                .hasValueSatisfying(
                    r -> {
                      assertThat(r.valid()).isFalse();
                      assertThat(r.enforcedGeneration()).isEqualTo(1L);
                    }));
    int enforcedRules = operator.engine().read(e -> e.rules(goodRef).size());
    assertThat(enforcedRules).isPositive();

    kube.resources(CiliumNetworkPolicy.class).inNamespace("default").withName("web-ingress").delete();
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(cep("default", "web").getStatus().policy.ingress.state).isEqualTo("non-enforcing"));
    assertThat(operator.validity().get(goodRef)).isEmpty();
  }

  static CiliumNetworkPolicy cnp(String name, String app, String port) {
    String yaml =
        """
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: %s, namespace: default}
        spec:
          endpointSelector: {matchLabels: {app: %s}}
          ingress:
          - fromEndpoints: [{matchLabels: {app: other}}]
            toPorts: [{ports: [{port: "%s", protocol: TCP}]}]
        """
            .formatted(name, app, port);
    return io.fabric8.kubernetes.client.utils.Serialization.unmarshal(yaml, CiliumNetworkPolicy.class);
  }

  @Test
  void shouldMoveAPodToAnotherIdentityAndCollectTheUnusedOneAfterTheGracePeriod() {
    operator = start();
    kube.resource(pod("default", "a", "10.0.0.1", Map.of("app", "one"))).create();
    await().atMost(Duration.ofSeconds(10)).until(() -> identityOf("default", "a") != null);
    long first = identityOf("default", "a");

    kube.pods().inNamespace("default").withName("a").edit(p -> {
      p.getMetadata().getLabels().put("app", "two");
      return p;
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> identityOf("default", "a") != null && identityOf("default", "a") != first);
    long second = identityOf("default", "a");
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> assertThat(kube.resources(CiliumIdentity.class).withName(Long.toString(first)).get().getMetadata().getAnnotations())
                .containsKey(CrdIdentityAllocator.HEARTBEAT));

    clock.advance(GRACE);

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(identities()).containsOnlyKeys(Long.toString(second)));
    assertThat(kube.resources(CiliumIdentity.class).withName(Long.toString(second)).get().getMetadata().getAnnotations())
        .doesNotContainKey(CrdIdentityAllocator.HEARTBEAT);
  }

  @Test
  void shouldKeepEveryIdentityNumberAcrossARestart() {
    operator = start();
    for (int i = 0; i < 6; i++) {
      kube.resource(pod("default", "p" + i, "10.0.1." + i, Map.of("app", "a" + (i % 3)))).create();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> kube.resources(CiliumEndpoint.class).inAnyNamespace().list().getItems().size() == 6);
    Map<String, Long> before = new TreeMap<>();
    for (int i = 0; i < 6; i++) {
      before.put("p" + i, identityOf("default", "p" + i));
    }
    Map<String, Map<String, String>> objects = identities();
    operator.stop();
    // An operator that restarts knows nothing: it must read the numbers back from the CiliumIdentities.
    kube.resources(CiliumEndpoint.class).inAnyNamespace().delete();
    await().atMost(Duration.ofSeconds(5)).until(() -> kube.resources(CiliumEndpoint.class).inAnyNamespace().list().getItems().isEmpty());

    operator = start();

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              Map<String, Long> after = new TreeMap<>();
              for (int i = 0; i < 6; i++) {
                after.put("p" + i, identityOf("default", "p" + i));
              }
              assertThat(after).isEqualTo(before);
            });
    assertThat(identities()).isEqualTo(objects);
  }

  @Test
  void shouldEnforceClusterwideAndKubernetesPoliciesAndFollowNamespaceLabels() {
    operator = start();
    kube.resource(new NamespaceBuilder().withNewMetadata().withName("team").endMetadata().build()).create();
    kube.resource(pod("team", "api", "10.0.0.1", Map.of("app", "api"))).create();
    kube.resource(pod("team", "job", "10.0.0.2", Map.of("app", "job"))).create();
    await().atMost(Duration.ofSeconds(10)).until(() -> identityOf("team", "api") != null && identityOf("team", "job") != null);
    long before = identityOf("team", "api");

    kube.resource(
            io.fabric8.kubernetes.client.utils.Serialization.unmarshal(
                """
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: deny-api, namespace: team}
                spec:
                  podSelector: {matchLabels: {app: api}}
                  policyTypes: [Ingress]
                """,
                io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy.class))
        .create();
    kube.resource(
            io.fabric8.kubernetes.client.utils.Serialization.unmarshal(
                """
                apiVersion: cilium.io/v2
                kind: CiliumClusterwideNetworkPolicy
                metadata: {name: job-egress}
                spec:
                  endpointSelector: {matchLabels: {app: job}}
                  egress:
                  - toEntities: [cluster]
                """,
                io.hexgate.operator.policy.api.CiliumClusterwideNetworkPolicy.class))
        .create();
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(cep("team", "api").getStatus().policy.ingress.state).isEqualTo("enforcing");
              assertThat(cep("team", "api").getStatus().policy.egress.state).isEqualTo("non-enforcing");
              assertThat(cep("team", "job").getStatus().policy.egress.state).isEqualTo("enforcing");
            });

    kube.namespaces().withName("team").edit(n -> {
      n.getMetadata().getLabels().put("tier", "gold");
      return n;
    });

    await().atMost(Duration.ofSeconds(10)).until(() -> !Long.valueOf(before).equals(identityOf("team", "api")));
    assertThat(cep("team", "api").getStatus().identity.labels).contains("k8s:io.cilium.k8s.namespace.labels.tier=gold");
    assertThat(cep("team", "api").getStatus().policy.ingress.state).isEqualTo("enforcing");
  }

  @Test
  void shouldNameOnlyThePodsNodeWhenNoIdentityOrNamedPortChanged() {
    java.util.List<Set<String>> calls = new java.util.concurrent.CopyOnWriteArrayList<>();
    operator = TestOperator.create(api.client(), clock);
    operator.addListener((engine, nodes) -> calls.add(nodes));
    operator.start();
    Pod first = pod("default", "a", "10.0.0.1", Map.of("app", "same"));
    first.getSpec().getContainers().get(0).setPorts(java.util.List.of());
    kube.resource(first).create();
    await().atMost(Duration.ofSeconds(10)).until(() -> identityOf("default", "a") != null);
    assertThat(calls).last().isEqualTo(Set.of()); // a new identity: every node
    calls.clear();

    Pod second = pod("default", "b", "10.0.0.2", Map.of("app", "same"));
    second.getSpec().setNodeName("node-2");
    second.getSpec().getContainers().get(0).setPorts(java.util.List.of());
    kube.resource(second).create();

    await().atMost(Duration.ofSeconds(10)).until(() -> identityOf("default", "b") != null);
    assertThat(calls).containsExactly(Set.of("node-2"));
  }
}
