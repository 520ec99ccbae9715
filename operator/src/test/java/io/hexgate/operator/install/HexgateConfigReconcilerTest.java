package io.hexgate.operator.install;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.hexgate.operator.AgentEndpoint;
import io.hexgate.operator.HexgateOperator;
import io.hexgate.operator.MockApi;
import io.hexgate.operator.OperatorConfig;
import io.hexgate.operator.install.api.AgentSpec;
import io.hexgate.operator.install.api.HexgateConfig;
import io.hexgate.operator.install.api.HexgateConfigSpec;
import io.hexgate.operator.install.api.HubbleMetricsSpec;
import io.hexgate.operator.install.api.HubbleSpec;
import io.hexgate.operator.tls.CertificateAuthority;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.StreamObserver;
import io.hexgate.contract.v1.AgentMessage;
import io.hexgate.contract.v1.Hello;
import io.hexgate.contract.v1.NodeAgentGrpc;
import io.hexgate.contract.v1.OperatorMessage;
import io.hexgate.operator.tls.CaSecretStore;
import io.hexgate.operator.tls.IssuedCertificate;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The operator deploys the agents a HexgateConfig describes, against the mock API server. */
public class HexgateConfigReconcilerTest {
  private MockApi api;
  private KubernetesClient kube;
  private HexgateOperator operator;
  private String ns;

  @BeforeEach
  void start() {
    api = new MockApi();
    kube = api.client();
    KubernetesClient operatorClient = api.client();
    ns = operatorClient.getNamespace();
    operator =
        HexgateOperator.create(
            OperatorConfig.builder(operatorClient)
                .withoutLeaderElection()
                .agents(new AgentEndpoint.Tls(0, "hexgate-ca", List.of("localhost"), CertificateAuthority.LEAF_VALIDITY))
                .installAgents(new AgentInstall("ghcr.io/hexgate-io/hexgate-agent:0.1.0", "10.1.0.7", 4250))
                .withoutMetrics()
                .withoutRelay()
                .build());
    operator.start();
  }

  @AfterEach
  void stop() {
    operator.stop();
    api.close();
  }

  public static HexgateConfig config(String name) {
    HexgateConfig c = new HexgateConfig();
    c.setMetadata(new ObjectMetaBuilder().withName(name).build());
    c.setSpec(new HexgateConfigSpec());
    return c;
  }

  private DaemonSet daemonSet() {
    return kube.apps().daemonSets().inNamespace(ns).withName(AgentObjects.AGENT).get();
  }

  @Test
  void deploysTheAgentsWithTheirObjectsOwnedByTheConfig() {
    HexgateConfig created = kube.resource(config("default")).create();
    await().atMost(Duration.ofSeconds(15)).until(() -> daemonSet() != null);
    DaemonSet ds = daemonSet();
    var pod = ds.getSpec().getTemplate().getSpec();
    assertThat(pod.getHostNetwork()).isTrue();
    assertThat(pod.getDnsPolicy()).isEqualTo("ClusterFirstWithHostNet");
    assertThat(pod.getServiceAccountName()).isEqualTo("hexgate-agent");
    assertThat(pod.getAutomountServiceAccountToken()).isFalse();
    assertThat(pod.getPriorityClassName()).isEqualTo("system-node-critical");
    assertThat(pod.getTolerations()).singleElement().satisfies(t -> assertThat(t.getOperator()).isEqualTo("Exists"));
    var container = pod.getContainers().get(0);
    assertThat(container.getImage()).isEqualTo("ghcr.io/hexgate-io/hexgate-agent:0.1.0");
    assertThat(container.getArgs()).startsWith("agent", "--node", "$(NODE_NAME)", "--operator", "$(HEXGATE_OPERATOR)")
        .contains("--bootstrap-token-file", "/var/run/secrets/hexgate/token", "--ca-file", "/etc/hexgate/ca/ca.crt",
            "--cert-dir", "/var/lib/hexgate/certs");
    assertThat(container.getSecurityContext().getCapabilities().getAdd()).containsExactly("BPF", "NET_ADMIN", "SYS_ADMIN", "PERFMON");
    assertThat(container.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(pod.getVolumes().stream().filter(v -> v.getProjected() != null)
            .map(v -> v.getProjected().getSources().get(0).getServiceAccountToken().getAudience()))
        .containsExactly("hexgate");
    assertThat(ds.getSpec().getUpdateStrategy().getRollingUpdate().getMaxUnavailable().getIntVal()).isEqualTo(1);

    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      ConfigMap settings = kube.configMaps().inNamespace(ns).withName(AgentObjects.AGENT_CONFIG).get();
      assertThat(settings.getData()).containsEntry("operator-address", "10.1.0.7:4250");
      ConfigMap ca = kube.configMaps().inNamespace(ns).withName(AgentObjects.CA_CONFIG_MAP).get();
      assertThat(ca.getData().get("ca.crt")).startsWith("-----BEGIN CERTIFICATE-----");
      assertThat(kube.serviceAccounts().inNamespace(ns).withName("hexgate-agent").get().getAutomountServiceAccountToken()).isFalse();
      assertThat(kube.services().inNamespace(ns).withName(AgentObjects.METRICS_SERVICE).get().getSpec().getClusterIP()).isEqualTo("None");
    });
    // each is owned by the HexgateConfig, so that Kubernetes deletes them with it
    for (var owned : List.of(daemonSet(), kube.configMaps().inNamespace(ns).withName(AgentObjects.AGENT_CONFIG).get(),
        kube.configMaps().inNamespace(ns).withName(AgentObjects.CA_CONFIG_MAP).get(),
        kube.serviceAccounts().inNamespace(ns).withName("hexgate-agent").get(),
        kube.services().inNamespace(ns).withName(AgentObjects.METRICS_SERVICE).get())) {
      assertThat(owned.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
        assertThat(o.getKind()).isEqualTo("HexgateConfig");
        assertThat(o.getUid()).isEqualTo(created.getMetadata().getUid());
      });
    }
  }

  @Test
  void aSpecChangeChangesThePodTemplateAndStatusFollowsTheDaemonSet() {
    kube.resource(config("default")).create();
    await().atMost(Duration.ofSeconds(15)).until(() -> daemonSet() != null);
    // a patch, not an update: the operator writes status meanwhile, which would make an update conflict
    kube.resources(HexgateConfig.class).withName("default").edit(cfg -> {
      cfg.getSpec().agent = new AgentSpec();
      cfg.getSpec().agent.image = "ghcr.io/hexgate-io/hexgate-agent:0.1.1";
      cfg.getSpec().agent.logLevel = "debug";
      return cfg;
    });
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
      DaemonSet ds = daemonSet();
      assertThat(ds.getSpec().getTemplate().getSpec().getContainers().get(0).getImage()).endsWith(":0.1.1");
      assertThat(kube.configMaps().inNamespace(ns).withName(AgentObjects.AGENT_CONFIG).get().getData())
          .containsEntry("log-level", "debug");
    });
    DaemonSet ds = daemonSet();
    ds.setStatus(new DaemonSetStatusBuilder().withDesiredNumberScheduled(3).withNumberReady(2).withUpdatedNumberScheduled(1)
        .withObservedGeneration(ds.getMetadata().getGeneration()).build());
    kube.resource(ds).updateStatus();
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
      var status = kube.resources(HexgateConfig.class).withName("default").get().getStatus();
      assertThat(status.desiredAgents).isEqualTo(3);
      assertThat(status.readyAgents).isEqualTo(2);
      assertThat(status.updatedAgents).isEqualTo(1);
      assertThat(status.conditions).anySatisfy(c -> {
        assertThat(c.getType()).isEqualTo("Progressing");
        assertThat(c.getStatus()).isEqualTo("True");
        assertThat(c.getMessage()).isEqualTo("DaemonSet " + ns + "/hexgate-agent update is rolling out (1 of 3 updated)");
      });
      assertThat(status.conditions).anySatisfy(c -> {
        assertThat(c.getType()).isEqualTo("Available");
        assertThat(c.getStatus()).isEqualTo("False");
      });
    });
  }

  @Test
  void hubblesServicesFollowTheHubbleSection() {
    HexgateConfig created = kube.resource(config("default")).create();
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
      assertThat(kube.services().inNamespace(ns).withName(AgentObjects.HUBBLE_PEER_SERVICE).get()).isNotNull();
      assertThat(kube.services().inNamespace(ns).withName(AgentObjects.HUBBLE_METRICS_SERVICE).get()).isNotNull();
    });
    for (String name : List.of(AgentObjects.HUBBLE_PEER_SERVICE, AgentObjects.HUBBLE_METRICS_SERVICE)) {
      assertThat(kube.services().inNamespace(ns).withName(name).get().getMetadata().getOwnerReferences()).singleElement()
          .satisfies(o -> assertThat(o.getUid()).isEqualTo(created.getMetadata().getUid()));
    }
    kube.resources(HexgateConfig.class).withName("default").edit(cfg -> {
      cfg.getSpec().hubble = new HubbleSpec();
      cfg.getSpec().hubble.metrics = new HubbleMetricsSpec();
      cfg.getSpec().hubble.metrics.port = 19965;
      return cfg;
    });
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
      assertThat(kube.services().inNamespace(ns).withName(AgentObjects.HUBBLE_METRICS_SERVICE).get().getSpec().getPorts())
          .singleElement().satisfies(p -> assertThat(p.getPort()).isEqualTo(19965));
      assertThat(daemonSet().getSpec().getTemplate().getSpec().getContainers().get(0).getArgs())
          .containsSequence("--hubble-metrics-port", "19965");
    });
    kube.resources(HexgateConfig.class).withName("default").edit(cfg -> {
      cfg.getSpec().hubble.enabled = false;
      return cfg;
    });
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
      assertThat(kube.services().inNamespace(ns).withName(AgentObjects.HUBBLE_PEER_SERVICE).get()).isNull();
      assertThat(kube.services().inNamespace(ns).withName(AgentObjects.HUBBLE_METRICS_SERVICE).get()).isNull();
      assertThat(daemonSet().getSpec().getTemplate().getSpec().getContainers().get(0).getArgs())
          .containsSequence("--hubble-listen-port", "0").doesNotContain("--hubble-metrics");
    });
    // the agents' own metrics Service stays
    assertThat(kube.services().inNamespace(ns).withName(AgentObjects.METRICS_SERVICE).get()).isNotNull();
  }

  @Test
  void aHubbleSectionTheAgentsWouldRefuseLeavesThemAsTheyAreAndSaysWhy() {
    kube.resource(config("default")).create();
    await().atMost(Duration.ofSeconds(15)).until(() -> daemonSet() != null);
    List<String> before = daemonSet().getSpec().getTemplate().getSpec().getContainers().get(0).getArgs();
    kube.resources(HexgateConfig.class).withName("default").edit(cfg -> {
      cfg.getSpec().hubble = new HubbleSpec();
      cfg.getSpec().hubble.metrics = new HubbleMetricsSpec();
      cfg.getSpec().hubble.metrics.enabled = List.of("drop", "latency");
      return cfg;
    });
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
      var status = kube.resources(HexgateConfig.class).withName("default").get().getStatus();
      assertThat(status.conditions).anySatisfy(c -> {
        assertThat(c.getType()).isEqualTo("Degraded");
        assertThat(c.getStatus()).isEqualTo("True");
        assertThat(c.getReason()).isEqualTo("InvalidHubble");
        assertThat(c.getMessage()).startsWith("spec.hubble.metrics.enabled: ").contains("latency");
      });
    });
    assertThat(daemonSet().getSpec().getTemplate().getSpec().getContainers().get(0).getArgs()).isEqualTo(before);
  }

  @Test
  void aSecondConfigIsIgnored() {
    kube.resource(config("default")).create();
    await().atMost(Duration.ofSeconds(15)).until(() -> daemonSet() != null);
    kube.resource(config("other")).create();
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
      var status = kube.resources(HexgateConfig.class).withName("other").get().getStatus();
      assertThat(status).isNotNull();
      assertThat(status.conditions).anySatisfy(c -> {
        assertThat(c.getType()).isEqualTo("Degraded");
        assertThat(c.getReason()).isEqualTo("Ignored");
        assertThat(c.getMessage()).contains("HexgateConfig default");
      });
    });
    assertThat(daemonSet().getMetadata().getOwnerReferences()).singleElement()
        .satisfies(o -> assertThat(o.getName()).isEqualTo("default"));
  }

  @Test
  void statusCountsEnforcingAgentsAndIsDegradedWhileAKernelDoesNotEnforce() throws Exception {
    kube.resource(config("default")).create();
    await().atMost(Duration.ofSeconds(15)).until(() -> daemonSet() != null);
    DaemonSet ds = daemonSet();
    ds.setStatus(new DaemonSetStatusBuilder().withDesiredNumberScheduled(2).withNumberReady(2).withUpdatedNumberScheduled(2)
        .withObservedGeneration(ds.getMetadata().getGeneration()).build());
    kube.resource(ds).updateStatus();

    Agent a = new Agent("node-a", true, "");
    Agent b = new Agent("node-b", false, "the Java datapath enforces nothing");
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
      var status = kube.resources(HexgateConfig.class).withName("default").get().getStatus();
      assertThat(status.desiredAgents).isEqualTo(2);
      assertThat(status.readyAgents).isEqualTo(2);
      assertThat(status.enforcingAgents).isEqualTo(1);
      assertThat(condition(status, "Available").getStatus()).isEqualTo("True");
      assertThat(condition(status, "Available").getMessage()).isEqualTo("2 of 2 agents ready");
      assertThat(condition(status, "Progressing").getStatus()).isEqualTo("False");
      var degraded = condition(status, "Degraded");
      assertThat(degraded.getStatus()).isEqualTo("True");
      assertThat(degraded.getReason()).isEqualTo("KernelNotEnforcing");
      assertThat(degraded.getMessage())
          .isEqualTo("1 agent(s) say their kernel does not enforce: node-b (the Java datapath enforces nothing)");
    });

    // node-b's agent comes back with its eBPF datapath loaded
    b.close();
    await().atMost(Duration.ofSeconds(15)).until(() -> !operator.agentService().connectedNodes().contains("node-b"));
    b = new Agent("node-b", true, "");
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
      var status = kube.resources(HexgateConfig.class).withName("default").get().getStatus();
      assertThat(status.enforcingAgents).isEqualTo(2);
      assertThat(condition(status, "Degraded").getStatus()).isEqualTo("False");
      assertThat(condition(status, "Degraded").getReason()).isEqualTo("AsExpected");
    });

    // an agent not ready any more: no longer Available
    ds = daemonSet();
    ds.setStatus(new DaemonSetStatusBuilder(ds.getStatus()).withNumberReady(1).build());
    kube.resource(ds).updateStatus();
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
      var status = kube.resources(HexgateConfig.class).withName("default").get().getStatus();
      assertThat(status.readyAgents).isEqualTo(1);
      assertThat(status.desiredAgents).isEqualTo(2);
      assertThat(condition(status, "Available").getStatus()).isEqualTo("False");
      assertThat(condition(status, "Available").getMessage()).isEqualTo("1 of 2 agents ready");
    });
    a.close();
    b.close();
  }

  private static io.fabric8.kubernetes.api.model.Condition condition(
      io.hexgate.operator.install.api.HexgateConfigStatus status, String type) {
    return status.conditions.stream().filter(c -> type.equals(c.getType())).findFirst()
        .orElseThrow(() -> new AssertionError("no " + type + " condition in " + status.conditions));
  }

  /** An agent of {@code node} connected to the operator's port with a certificate of its CA, saying whether its kernel enforces. */
  private final class Agent implements AutoCloseable {
    private final ManagedChannel channel;

    Agent(String node, boolean enforcing, String reason) throws Exception {
      IssuedCertificate cert = new CaSecretStore(kube, ns, "hexgate-ca", Clock.systemUTC()).load().orElseThrow().issueAgent(node);
      channel = Grpc.newChannelBuilderForAddress("localhost", operator.ports().agentPort(), TlsChannelCredentials.newBuilder()
              .trustManager(pem(cert.caPem()))
              .keyManager(pem(cert.certificatePem()), pem(cert.keyPem()))
              .build())
          .build();
      NodeAgentGrpc.newStub(channel).connect(new StreamObserver<OperatorMessage>() {
        @Override
        public void onNext(OperatorMessage m) {}

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {}
      }).onNext(AgentMessage.newBuilder()
          .setHello(Hello.newBuilder().setNode(node).setEnforcing(enforcing).setNotEnforcingReason(reason))
          .build());
      await().atMost(Duration.ofSeconds(15)).until(() -> operator.agentService().connectedNodes().contains(node));
    }

    private static InputStream pem(String text) {
      return new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    public void close() {
      channel.shutdownNow();
    }
  }
}
