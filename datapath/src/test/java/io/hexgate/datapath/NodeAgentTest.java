package io.hexgate.datapath;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.hexgate.contract.v1.Ack;
import io.hexgate.contract.v1.EndpointKey;
import io.hexgate.contract.v1.EndpointState;
import io.hexgate.contract.v1.Identity;
import io.hexgate.contract.v1.IpcacheEntry;
import io.hexgate.contract.v1.StateUpdate;
import io.hexgate.datapath.bpf.Packets;
import io.hexgate.datapath.enforce.ScriptedOperator;
import io.hexgate.datapath.enforce.TwinDatapath;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The agent with the Java datapath: what runs where eBPF cannot; it works anywhere, root or not. */
class NodeAgentTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private final ScriptedOperator operator = new ScriptedOperator();
  private Server server;
  private ManagedChannel channel;
  private NodeAgent agent;
  private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
  private PrintStream savedErr;

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).addService(operator).build().start();
    channel = InProcessChannelBuilder.forName(name).build();
    savedErr = System.err;
    System.setErr(new PrintStream(stderr, true));
    try {
      agent = NodeAgent.start(new NodeAgent.Config("node-j", null, null, List.of("eth0"), 0, NodeAgent.Mode.JAVA), channel);
    } finally {
      System.setErr(savedErr);
    }
  }

  @AfterEach
  void stop() {
    agent.close();
    channel.shutdownNow();
    server.shutdownNow();
  }

  private static EndpointState endpoint(String name, String ip) {
    return EndpointState.newBuilder()
        .setKey(EndpointKey.newBuilder().setNamespace("default").setName(name))
        .setIp(ip)
        .setIdentity(Identity.newBuilder().setId(1001))
        .setEgress(io.hexgate.contract.v1.RuleMap.newBuilder()
            .addEntries(io.hexgate.contract.v1.RuleMapEntry.newBuilder().setPortTo(65535)))
        .build();
  }

  private Ack publish(StateUpdate.Builder u) {
    // an update published before the agent's Hello would race its snapshot
    await().atMost(WAIT).until(() -> !operator.hellos.isEmpty());
    long revision = operator.publish("node-j", u);
    await().atMost(WAIT).until(() -> operator.ack("node-j", revision) != null);
    return operator.ack("node-j", revision);
  }

  @Test
  void saysLoudlyThatNothingIsEnforcedInTheKernel() {
    assertThat(agent.datapath()).isInstanceOf(TwinDatapath.class);
    assertThat(agent.datapath().enforcesInKernel()).isFalse();
    assertThat(agent.datapath().describe()).contains("NOT enforcing in the kernel");
    assertThat(stderr.toString()).contains("TRAFFIC IS NOT ENFORCED IN THE KERNEL").contains("--datapath java");
  }

  @Test
  void tellsTheOperatorInItsHelloAndEveryAckThatTheKernelDoesNotEnforce() {
    await().atMost(WAIT).until(() -> !operator.hellos.isEmpty());
    assertThat(operator.hellos).allSatisfy(h -> {
      assertThat(h.getEnforcing()).isFalse();
      assertThat(h.getNotEnforcingReason()).contains("Java datapath").contains("--datapath java");
    });
    Ack ack = publish(StateUpdate.newBuilder()
        .addUpsertEndpoints(endpoint("web", "10.0.0.1").toBuilder()
            .setIngress(io.hexgate.contract.v1.RuleMap.newBuilder().setEnforcing(true))));
    assertThat(ack.getOk()).isTrue();
    assertThat(ack.getEnforcing()).isFalse();
    assertThat(ack.getNotEnforcingReason()).contains("Java datapath");
    // its policy enforces ingress, but nothing judges its packets: the metric counts it as not enforced
    assertThat(agent.metrics().scrape())
        .contains("cilium_policy_endpoint_enforcement_status{enforcement=\"none\"} 1.0")
        .contains("cilium_policy_endpoint_enforcement_status{enforcement=\"ingress\"} 0.0");
  }

  @Test
  void appliesAndAcknowledgesRevisionsWithTheKernelsValidation() {
    Ack ok = publish(StateUpdate.newBuilder()
        .addUpsertEndpoints(endpoint("web", "10.0.0.1"))
        .addUpsertEndpoints(endpoint("bad", "10.0.0.300"))
        .addUpsertIpcache(IpcacheEntry.newBuilder().setPrefix("10.0.0.1/32").setIdentity(1001)));
    assertThat(ok.getOk()).isTrue();
    assertThat(ok.getEndpointsList()).singleElement().satisfies(e -> {
      assertThat(e.getEndpoint().getName()).isEqualTo("bad");
      assertThat(e.getError()).contains("endpoint default/bad").contains("10.0.0.300");
    });
    TwinDatapath twin = (TwinDatapath) agent.datapath();
    assertThat(twin.contents().endpoints()).hasSize(1);
    // the twin judges frames with the applied maps: web's egress allows all, its ingress has no entry
    byte[] out = Packets.tcp(Packets.ip(10, 0, 0, 1), Packets.ip(10, 0, 0, 9), 40000, 80, Packets.TCP_SYN);
    assertThat(twin.twin().fromPod(out, twin.ifindexOf(EndpointKey.newBuilder().setNamespace("default").setName("web").build()))
        .reason()).isZero();
    byte[] in = Packets.tcp(Packets.ip(10, 0, 0, 9), Packets.ip(10, 0, 0, 1), 40001, 80, Packets.TCP_SYN);
    assertThat(twin.twin().toPod(in).reason()).isEqualTo(133);
    assertThat(agent.metrics().scrape()).contains("cilium_drop_count_total{direction=\"INGRESS\",reason=\"Policy denied\"} 1.0");

    Ack nack = publish(StateUpdate.newBuilder()
        .addUpsertEndpoints(endpoint("web", "10.0.0.1"))
        .addUpsertIpcache(IpcacheEntry.newBuilder().setPrefix("10.0.0.0/40").setIdentity(1001)));
    assertThat(nack.getOk()).isFalse();
    assertThat(nack.getError()).contains("10.0.0.0/40");
    assertThat(agent.client().state().endpoints()).hasSize(2); // the previous revision stays
  }
}
