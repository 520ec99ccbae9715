package io.hexgate.lab.controllers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.hexgate.contract.net.Ipv4;
import io.hexgate.operator.MockApi;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LabControllersTest {
  private static final Ipv4.Cidr RANGE = Ipv4.Cidr.parse("10.96.0.0/16");
  private MockApi api;
  private KubernetesClient client;
  private ClusterInformers informers;
  private LabControllers controllers;
  private final AtomicInteger nextIp = new AtomicInteger(10);

  @BeforeEach
  void start() throws Exception {
    api = new MockApi();
    client = api.client();
    informers = new ClusterInformers(client);
    ClusterIpAllocator allocator = new ClusterIpAllocator(RANGE, Set.of(Ipv4.parse("10.96.0.1"), Ipv4.parse("10.96.0.10")));
    controllers = new LabControllers(client, informers, allocator, () -> java.util.List.of("node-1"), new Events(client, "test", Clock.systemUTC()), Clock.systemUTC());
    informers.start();
    controllers.start();
  }

  @AfterEach
  void stop() {
    controllers.close();
    informers.close();
    api.close();
  }

  private static Deployment deathstar(int replicas) {
    return new DeploymentBuilder()
        .withNewMetadata().withName("deathstar").withNamespace("default").addToLabels("app.kubernetes.io/name", "deathstar").endMetadata()
        .withNewSpec()
        .withReplicas(replicas)
        .withNewSelector().addToMatchLabels(Map.of("org", "empire", "class", "deathstar")).endSelector()
        .withNewTemplate()
        .withNewMetadata().addToLabels(Map.of("org", "empire", "class", "deathstar")).endMetadata()
        .withNewSpec().addNewContainer().withName("deathstar").withImage("quay.io/cilium/starwars:v2.1").endContainer().endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  private List<Pod> pods(String prefix) {
    return client.pods().inNamespace("default").list().getItems().stream()
        .filter(p -> p.getMetadata().getName().startsWith(prefix))
        .toList();
  }

  /** What the CNI does for a pod: an IP, Running and, when asked, Ready. */
  private void start(Pod p, boolean ready) {
    Pod current = client.pods().inNamespace("default").withName(p.getMetadata().getName()).get();
    String ip = current.getStatus() != null && current.getStatus().getPodIP() != null
        ? current.getStatus().getPodIP() : "10.0.1." + nextIp.getAndIncrement();
    current.setStatus(
        new io.fabric8.kubernetes.api.model.PodStatusBuilder()
            .withPhase("Running")
            .withPodIP(ip)
            .withConditions(new PodConditionBuilder().withType("Ready").withStatus(ready ? "True" : "False").build())
            .build());
    client.pods().resource(current).updateStatus();
  }

  @Test
  void deploymentMakesAReplicaSetWhosePodsFollowTheScale() {
    client.resource(deathstar(2)).create();
    await().atMost(Duration.ofSeconds(10)).until(() -> pods("deathstar-").size() == 2);
    ReplicaSet rs = client.apps().replicaSets().inNamespace("default").list().getItems().get(0);
    String hash = rs.getMetadata().getLabels().get("pod-template-hash");
    assertThat(rs.getMetadata().getName()).isEqualTo("deathstar-" + hash);
    assertThat(hash).matches("[bcdfghjklmnpqrstvwxz2456789]+");
    assertThat(rs.getSpec().getSelector().getMatchLabels()).containsEntry("pod-template-hash", hash).containsEntry("org", "empire");
    assertThat(rs.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
      assertThat(o.getKind()).isEqualTo("Deployment");
      assertThat(o.getController()).isTrue();
    });
    for (Pod p : pods("deathstar-")) {
      assertThat(p.getMetadata().getName()).matches("deathstar-" + hash + "-[bcdfghjklmnpqrstvwxz2456789]{5}");
      assertThat(p.getMetadata().getGenerateName()).isEqualTo("deathstar-" + hash + "-");
      assertThat(p.getMetadata().getLabels()).containsEntry("pod-template-hash", hash).containsEntry("class", "deathstar");
      assertThat(Owners.controlledBy(p, rs)).isTrue();
      start(p, true);
    }
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      Deployment d = client.apps().deployments().inNamespace("default").withName("deathstar").get();
      assertThat(d.getStatus().getReplicas()).isEqualTo(2);
      assertThat(d.getStatus().getReadyReplicas()).isEqualTo(2);
      assertThat(d.getStatus().getAvailableReplicas()).isEqualTo(2);
      assertThat(d.getStatus().getUpdatedReplicas()).isEqualTo(2);
    });

    client.apps().deployments().inNamespace("default").withName("deathstar").scale(4);
    await().atMost(Duration.ofSeconds(10)).until(() -> pods("deathstar-").size() == 4);
    pods("deathstar-").forEach(p -> start(p, true));
    await().atMost(Duration.ofSeconds(10)).until(() ->
        Integer.valueOf(4).equals(client.apps().deployments().inNamespace("default").withName("deathstar").get().getStatus().getReadyReplicas()));
    // one unready pod: scaling down removes it before any ready one
    Pod unready = pods("deathstar-").get(2);
    start(unready, false);
    await().atMost(Duration.ofSeconds(10)).until(() ->
        Integer.valueOf(3).equals(client.apps().replicaSets().inNamespace("default").withName(rs.getMetadata().getName()).get().getStatus().getReadyReplicas()));
    client.apps().deployments().inNamespace("default").withName("deathstar").scale(1);
    await().atMost(Duration.ofSeconds(10)).until(() -> pods("deathstar-").size() == 1);
    assertThat(pods("deathstar-").get(0).getMetadata().getName()).isNotEqualTo(unready.getMetadata().getName());
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      Deployment d = client.apps().deployments().inNamespace("default").withName("deathstar").get();
      assertThat(d.getStatus().getReplicas()).isEqualTo(1);
      assertThat(d.getStatus().getReadyReplicas()).isEqualTo(1);
    });

    client.apps().deployments().inNamespace("default").withName("deathstar").delete();
    await().atMost(Duration.ofSeconds(10)).until(() ->
        pods("deathstar-").isEmpty() && client.apps().replicaSets().inNamespace("default").list().getItems().isEmpty());
  }

  @Test
  void aChangedTemplateGetsANewReplicaSetAndTheOldOneScalesToZero() {
    client.resource(deathstar(1)).create();
    await().atMost(Duration.ofSeconds(10)).until(() -> pods("deathstar-").size() == 1);
    String first = client.apps().replicaSets().inNamespace("default").list().getItems().get(0).getMetadata().getName();
    start(pods("deathstar-").get(0), true);
    // the Deployment controller writes the status meanwhile: an edit based on an older version gets a 409,
    // and is tried again on the newer one, as a client of a real API server does
    await().atMost(Duration.ofSeconds(10)).ignoreException(io.fabric8.kubernetes.client.KubernetesClientException.class)
        .until(() -> client.apps().deployments().inNamespace("default").withName("deathstar").edit(d -> {
          d.getSpec().getTemplate().getSpec().getContainers().get(0).setImage("quay.io/cilium/starwars:v2.3");
          return d;
        }) != null);
    await().atMost(Duration.ofSeconds(10)).until(() -> client.apps().replicaSets().inNamespace("default").list().getItems().size() == 2);
    await().atMost(Duration.ofSeconds(10)).until(() -> pods("deathstar-").stream().anyMatch(p -> !p.getMetadata().getName().startsWith(first)));
    pods("deathstar-").forEach(p -> start(p, true));
    await().atMost(Duration.ofSeconds(10)).until(() -> pods("deathstar-").size() == 1 && !pods("deathstar-").get(0).getMetadata().getName().startsWith(first));
    assertThat(client.apps().replicaSets().inNamespace("default").withName(first).get().getSpec().getReplicas()).isZero();
  }

  private Pod pod(String name, Map<String, String> labels) {
    return client.resource(
            new PodBuilder()
                .withNewMetadata().withName(name).withNamespace("default").withLabels(labels).endMetadata()
                .withNewSpec().withNodeName("node-1")
                .addNewContainer().withName("c").withImage("quay.io/cilium/starwars").addNewPort().withName("http").withContainerPort(80).endPort().endContainer()
                .endSpec()
                .build())
        .create();
  }

  private List<Endpoint> endpoints(String service) {
    return client.discovery().v1().endpointSlices().inNamespace("default").withLabel("kubernetes.io/service-name", service).list().getItems()
        .stream().flatMap(s -> s.getEndpoints() == null ? java.util.stream.Stream.<Endpoint>empty() : s.getEndpoints().stream()).toList();
  }

  @Test
  void endpointSlicesFollowPodReadiness() {
    Map<String, String> empire = Map.of("org", "empire", "class", "deathstar");
    client.resource(
            new ServiceBuilder()
                .withNewMetadata().withName("deathstar").withNamespace("default").endMetadata()
                .withNewSpec().withSelector(empire)
                .addNewPort().withName("web").withPort(80).withTargetPort(new IntOrString("http")).endPort()
                .endSpec()
                .build())
        .create();
    // no pods yet: one slice with no endpoints
    await().atMost(Duration.ofSeconds(10)).until(() ->
        client.discovery().v1().endpointSlices().inNamespace("default").withLabel("kubernetes.io/service-name", "deathstar").list().getItems().size() == 1);
    Pod a = pod("deathstar-a", empire);
    Pod b = pod("deathstar-b", empire);
    pod("xwing", Map.of("org", "alliance"));
    start(a, false);
    start(b, true);
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      List<Endpoint> eps = endpoints("deathstar");
      assertThat(eps).hasSize(2);
      assertThat(eps).filteredOn(e -> e.getTargetRef().getName().equals("deathstar-a")).singleElement()
          .satisfies(e -> assertThat(e.getConditions().getReady()).isFalse());
      assertThat(eps).filteredOn(e -> e.getTargetRef().getName().equals("deathstar-b")).singleElement()
          .satisfies(e -> {
            assertThat(e.getConditions().getReady()).isTrue();
            assertThat(e.getNodeName()).isEqualTo("node-1");
            assertThat(e.getTargetRef().getKind()).isEqualTo("Pod");
            assertThat(e.getTargetRef().getUid()).isEqualTo(b.getMetadata().getUid());
          });
    });
    EndpointSlice slice =
        client.discovery().v1().endpointSlices().inNamespace("default").withLabel("kubernetes.io/service-name", "deathstar").list().getItems().get(0);
    assertThat(slice.getAddressType()).isEqualTo("IPv4");
    assertThat(slice.getMetadata().getName()).matches("deathstar-[bcdfghjklmnpqrstvwxz2456789]{5}");
    assertThat(slice.getPorts()).singleElement().satisfies(p -> {
      assertThat(p.getName()).isEqualTo("web");
      assertThat(p.getPort()).isEqualTo(80); // the named target port, resolved through the pod
      assertThat(p.getProtocol()).isEqualTo("TCP");
    });
    start(a, true);
    await().atMost(Duration.ofSeconds(10)).until(() -> endpoints("deathstar").stream().allMatch(e -> e.getConditions().getReady()));
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(client.endpoints().inNamespace("default").withName("deathstar").get().getSubsets().get(0).getAddresses()).hasSize(2));
    client.pods().inNamespace("default").withName("deathstar-b").delete();
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(endpoints("deathstar")).extracting(e -> e.getTargetRef().getName()).containsExactly("deathstar-a"));
    client.services().inNamespace("default").withName("deathstar").delete();
    await().atMost(Duration.ofSeconds(10)).until(() -> client.discovery().v1().endpointSlices().inNamespace("default").list().getItems().isEmpty());
  }

  @Test
  void clusterIpsAreUniqueInTheRangeAndSkipReservedOnes() {
    client.resource(new ServiceBuilder().withNewMetadata().withName("kube-dns").withNamespace("kube-system").endMetadata()
        .withNewSpec().withClusterIP("10.96.0.10").addNewPort().withPort(53).withProtocol("UDP").endPort().endSpec().build()).create();
    for (int i = 0; i < 20; i++) {
      client.resource(new ServiceBuilder().withNewMetadata().withName("svc-" + i).withNamespace("default").endMetadata()
          .withNewSpec().withSelector(Map.of("app", "x" + i)).addNewPort().withPort(80).endPort().endSpec().build()).create();
    }
    client.resource(new ServiceBuilder().withNewMetadata().withName("headless").withNamespace("default").endMetadata()
        .withNewSpec().withClusterIP("None").addNewPort().withPort(80).endPort().endSpec().build()).create();
    await().atMost(Duration.ofSeconds(10)).until(() -> client.services().inNamespace("default").list().getItems().stream()
        .filter(s -> s.getMetadata().getName().startsWith("svc-"))
        .allMatch(s -> s.getSpec().getClusterIP() != null));
    Set<String> ips = new HashSet<>();
    for (Service s : client.services().inNamespace("default").list().getItems()) {
      if (s.getMetadata().getName().equals("headless")) {
        assertThat(s.getSpec().getClusterIP()).isEqualTo("None");
        continue;
      }
      String ip = s.getSpec().getClusterIP();
      assertThat(RANGE.contains(Ipv4.parse(ip))).as(ip).isTrue();
      assertThat(ip).isNotIn("10.96.0.0", "10.96.0.1", "10.96.0.10");
      assertThat(ips.add(ip)).as("duplicate " + ip).isTrue();
      assertThat(s.getSpec().getClusterIPs()).containsExactly(ip);
      assertThat(s.getSpec().getType()).isEqualTo("ClusterIP");
      assertThat(s.getSpec().getPorts().get(0).getProtocol()).isEqualTo("TCP");
      assertThat(s.getSpec().getPorts().get(0).getTargetPort().getIntVal()).isEqualTo(80);
    }
    assertThat(ips).hasSize(20);
    assertThat(client.services().inNamespace("kube-system").withName("kube-dns").get().getSpec().getClusterIP()).isEqualTo("10.96.0.10");
  }

  @Test
  void allocatorWrapsAroundAndFailsWhenFull() {
    ClusterIpAllocator small = new ClusterIpAllocator(Ipv4.Cidr.parse("10.96.0.0/29"), Set.of(Ipv4.parse("10.96.0.1")));
    Set<Integer> used = new HashSet<>();
    for (int i = 0; i < 5; i++) {
      used.add(small.allocate(used));
    }
    assertThat(used).extracting(Ipv4::format).containsExactlyInAnyOrder("10.96.0.2", "10.96.0.3", "10.96.0.4", "10.96.0.5", "10.96.0.6");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> small.allocate(used)).hasMessageContaining("is full");
    used.remove(Ipv4.parse("10.96.0.3"));
    assertThat(Ipv4.format(small.allocate(used))).isEqualTo("10.96.0.3");
  }
}
