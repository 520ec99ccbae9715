package io.hexgate.lab.cni;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.hexgate.datapath.netns.ClusterNetwork;
import io.hexgate.datapath.netns.NetNs;
import io.hexgate.datapath.netns.NodeNetwork;
import io.hexgate.operator.MockApi;
import io.hexgate.lab.controllers.ClusterInformers;
import io.hexgate.lab.dns.ClusterDns;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The lab CNI with real namespaces: needs root; skips with the reason otherwise. */
class LabCniTest {
  private static final String PREFIX = "hgl-c";
  private static MockApi api;
  private static KubernetesClient client;
  private static ClusterInformers informers;
  private static ClusterNetwork network;
  private static final java.util.List<LabCni> cnis = new java.util.ArrayList<>();
  private static final java.util.concurrent.atomic.AtomicBoolean datapathHasIt = new java.util.concurrent.atomic.AtomicBoolean();

  @BeforeAll
  static void start() throws Exception {
    Assumptions.assumeTrue(NetNs.unavailable().isEmpty(), () -> "skipped: " + NetNs.unavailable().orElse(""));
    api = new MockApi();
    client = api.client();
    network = ClusterNetwork.create(PREFIX);
    network.addNode("node-1", 1);
    network.addNode("node-2", 2);
    informers = new ClusterInformers(client);
    ClusterDns dns = new ClusterDns("cluster.local", informers.services().getStore(), informers.endpointSlices().getStore());
    for (var node : network.nodes()) {
      cnis.add(new LabCni(client, informers.pods(), node, dns, () -> "10.96.0.10", Clock.systemUTC(),
          pod -> !pod.name().equals("gated") || datapathHasIt.get(), LabCni.HostSideFilter.NONE, null));
    }
    informers.start();
  }

  @AfterAll
  static void stop() {
    try {
      cnis.forEach(LabCni::close);
      if (informers != null) {
        informers.close();
      }
      if (api != null) {
        api.close();
      }
    } finally {
      if (NetNs.unavailable().isEmpty()) {
        ClusterNetwork.cleanup(PREFIX);
        ResolvConf.deleteAll(PREFIX);
      }
    }
  }

  /** A pod the scheduler bound to {@code node}. */
  private static Pod create(String name, String node, String image, Map<String, String> labels) {
    return client.resource(
            new PodBuilder()
                .withNewMetadata().withName(name).withNamespace("default").withLabels(labels).endMetadata()
                .withNewSpec().withNodeName(node).addNewContainer().withName("main").withImage(image).endContainer().endSpec()
                .build())
        .create();
  }

  private static Pod get(String name) {
    return client.pods().inNamespace("default").withName(name).get();
  }

  private static Pod awaitPhase(String name, String phase) {
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      Pod p = get(name);
      return p.getStatus() != null && phase.equals(p.getStatus().getPhase()) && p.getStatus().getPodIP() != null;
    });
    return get(name);
  }

  /** An HTTP request over a TCP connection made inside {@code netns}. */
  private static String http(String netns, String ip, String method, String path) throws Exception {
    return NetNs.call(netns, () -> {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(ip, 80), 3000);
        s.setSoTimeout(3000);
        OutputStream out = s.getOutputStream();
        out.write((method + " " + path + " HTTP/1.0\r\nHost: deathstar\r\nContent-Length: 0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = s.getInputStream();
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    });
  }

  @Test
  void podsGetNamespacesOnNodesAndReachEachOtherAcrossNodes() throws Exception {
    create("deathstar-abc", "node-1", "quay.io/cilium/starwars:v2.1@sha256:833d915ec68fca3ce83668fc5dae97c455b2134d8f23ef96586f55b894cfb1e8",
        Map.of("org", "empire", "class", "deathstar"));
    Pod deathstar = awaitPhase("deathstar-abc", "Running");
    create("xwing", "node-2", "quay.io/cilium/json-mock:v1.3.8", Map.of("org", "alliance"));
    Pod xwing = awaitPhase("xwing", "Running");

    assertThat(deathstar.getStatus().getHostIP()).isEqualTo(network.node(deathstar.getSpec().getNodeName()).nodeIp());
    assertThat(deathstar.getStatus().getPodIPs()).extracting(ip -> ip.getIp()).containsExactly(deathstar.getStatus().getPodIP());
    assertThat(deathstar.getStatus().getConditions()).anySatisfy(c -> {
      assertThat(c.getType()).isEqualTo("Ready");
      assertThat(c.getStatus()).isEqualTo("True");
    });
    assertThat(deathstar.getStatus().getContainerStatuses()).singleElement().satisfies(c -> assertThat(c.getReady()).isTrue());
    String xwingNs = NodeNetwork.podNetns(PREFIX, "default", "xwing");
    assertThat(NetNs.exists(xwingNs)).isTrue();
    assertThat(Files.readString(ResolvConf.ETC_NETNS.resolve(xwingNs).resolve("resolv.conf")))
        .isEqualTo("search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n");

    String ip = deathstar.getStatus().getPodIP();
    assertThat(http(xwingNs, ip, "POST", "/v1/request-landing")).startsWith("HTTP/1.1 200").endsWith("\r\n\r\nShip landed\n");
    assertThat(http(xwingNs, ip, "PUT", "/v1/exhaust-port")).contains("Panic: deathstar exploded\n\ngoroutine 1 [running]:");

    // deleting the pod stops its server and frees its namespace and address
    String deathstarNs = NodeNetwork.podNetns(PREFIX, "default", "deathstar-abc");
    client.pods().inNamespace("default").withName("deathstar-abc").delete();
    await().atMost(Duration.ofSeconds(30)).until(() -> !NetNs.exists(deathstarNs) && cnis.stream().noneMatch(c -> c.pods().containsKey("default/deathstar-abc")));
    assertThat(Files.exists(ResolvConf.ETC_NETNS.resolve(deathstarNs))).isFalse();
    assertThat(network.node(deathstar.getSpec().getNodeName()).pods()).noneMatch(p -> p.ip().equals(ip));
  }

  @Test
  void aPodIsReadyOnlyOnceItsNodesDatapathHasIt() throws Exception {
    create("gated", "node-1", "quay.io/cilium/json-mock:v1.3.8", Map.of("org", "empire"));
    Pod running = awaitPhase("gated", "Running");
    Thread.sleep(500);
    assertThat(io.hexgate.lab.controllers.PodConditions.ready(get("gated"))).isFalse();
    assertThat(running.getStatus().getConditions()).anySatisfy(c -> {
      assertThat(c.getType()).isEqualTo("Ready");
      assertThat(c.getReason()).isEqualTo("DatapathNotReady");
    });
    datapathHasIt.set(true);
    await().atMost(Duration.ofSeconds(10)).until(() -> io.hexgate.lab.controllers.PodConditions.ready(get("gated")));
  }

  @Test
  void anImageTheLabCannotRunGetsANamespaceAndAWarning() {
    create("nginx", "node-2", "nginx:1.27", Map.of("app", "web"));
    Pod nginx = awaitPhase("nginx", "Pending");
    assertThat(NetNs.exists(NodeNetwork.podNetns(PREFIX, "default", "nginx"))).isTrue();
    assertThat(nginx.getStatus().getContainerStatuses()).singleElement().satisfies(c -> {
      assertThat(c.getReady()).isFalse();
      assertThat(c.getState().getWaiting().getReason()).isEqualTo("ImageNotSupported");
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> client.v1().events().inNamespace("default").list().getItems().stream()
        .anyMatch(e -> "nginx".equals(e.getInvolvedObject().getName()) && "Warning".equals(e.getType())
            && "ImageNotSupported".equals(e.getReason()) && e.getMessage().contains("nginx:1.27")));
  }
}
