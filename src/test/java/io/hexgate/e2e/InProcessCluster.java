package io.hexgate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.hexgate.datapath.NodeAgent;
import io.hexgate.datapath.netns.ClusterNetwork;
import io.hexgate.datapath.netns.NodeNetwork;
import io.hexgate.datapath.observe.ObserveOptions;
import io.hexgate.operator.AgentEndpoint;
import io.hexgate.operator.HexgateOperator;
import io.hexgate.operator.MockApi;
import io.hexgate.operator.OperatorConfig;
import io.hexgate.operator.node.AgentReport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.junit.jupiter.api.Assumptions;

/**
 * What the datapath end-to-end tests run on: node and pod network namespaces, an operator whose policy
 * engine the test feeds (no API watch, no leader election), and eBPF node agents in this JVM, each inside
 * its node's namespace, reaching the operator in-process. Needs root and eBPF: {@link #start} aborts the
 * test, saying why, where they are unavailable.
 */
final class InProcessCluster implements AutoCloseable {
  private static final Duration WAIT = Duration.ofSeconds(20);

  private final List<AutoCloseable> closing = new ArrayList<>();
  private final List<AgentReport> reports = new CopyOnWriteArrayList<>();
  private final MockApi api = new MockApi();
  private final ClusterNetwork net;
  private final HexgateOperator operator;
  private final ManagedChannel agents;

  private InProcessCluster(String netnsPrefix) {
    try {
      net = ClusterNetwork.create(netnsPrefix);
      String name = "hg-e2e-agents-" + System.nanoTime();
      operator =
          HexgateOperator.create(
              OperatorConfig.builder(api.client())
                  .withoutLeaderElection()
                  .withoutWatchingApi()
                  .agents(new AgentEndpoint.InProcess(name))
                  .withoutMetrics()
                  .withoutRelay()
                  .build());
      closing.add(operator);
      operator.addReportListener(reports::add);
      operator.start();
      agents = InProcessChannelBuilder.forName(name).build();
      closing.add(agents::shutdownNow);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** A cluster with no node yet; aborts the test ({@code test} says which) where eBPF is unavailable. */
  static InProcessCluster start(String netnsPrefix, String test) {
    NodeAgent.bpfUnavailable().ifPresent(why -> Assumptions.abort("skipping the " + test + ": " + why));
    return new InProcessCluster(netnsPrefix);
  }

  NodeNetwork addNode(String name, int index) {
    return net.addNode(name, index);
  }

  HexgateOperator operator() {
    return operator;
  }

  /** Closes {@code c} (a namespace thread, a server) with the cluster, before the namespaces go. */
  <T extends AutoCloseable> T closing(T c) {
    closing.add(c);
    return c;
  }

  /** Starts the node's eBPF agent (serving no metrics of its own), Hubble as {@code observe} says. */
  NodeAgent startAgent(NodeNetwork n, ObserveOptions observe) throws Exception {
    return closing(NodeAgent.start(
        new NodeAgent.Config(n.netns(), n.netns(), n.pinDir(), List.of(n.uplink()), 0, NodeAgent.Mode.BPF).withObserve(observe),
        agents));
  }

  /** Waits until the node's agent has applied the operator's current revision for it, and it matches {@code also}. */
  void awaitApplied(NodeNetwork n, Predicate<AgentReport> also) {
    long revision = operator.nodes().node(n.netns()).current().revision();
    await().atMost(WAIT).untilAsserted(() -> assertThat(reports).anyMatch(
        r -> r.node().equals(n.netns()) && r.revision() >= revision && r.ok() && also.test(r)));
  }

  void awaitApplied(NodeNetwork n) {
    awaitApplied(n, r -> true);
  }

  /** Closes what it started, last first, then the namespaces; every step is tried, the first failure thrown. */
  @Override
  public void close() {
    RuntimeException failed = null;
    for (int i = closing.size() - 1; i >= 0; i--) {
      try {
        closing.get(i).close();
      } catch (Exception e) {
        failed = failed != null ? failed : new IllegalStateException("cannot close " + closing.get(i), e);
      }
    }
    api.close();
    if (net != null) {
      net.close();
    }
    if (failed != null) {
      throw failed;
    }
  }
}
