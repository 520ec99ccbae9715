package io.hexgate.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.hexgate.operator.node.NodeAgentService;
import java.time.Clock;
import java.time.Duration;

/** The operator as tests run it, in their own process. */
public final class TestOperator {
  private TestOperator() {}

  /**
   * No leader election, no ports: agents verified by certificate reach {@code agentService()} through
   * whatever server the test puts it behind; status written every 200 ms.
   */
  public static OperatorConfig.Builder config(KubernetesClient client, Clock clock) {
    return OperatorConfig.builder(client)
        .clock(clock)
        .withoutLeaderElection()
        .withoutMetrics()
        .withoutRelay()
        .agents(new AgentEndpoint.ServedByCaller(NodeAgentService.Authentication.REQUIRE_CERTIFICATE))
        .status(OperatorConfig.DEFAULT_STATUS_NODE_LIMIT, Duration.ofMillis(200));
  }

  /** {@link #config} as it is. */
  public static HexgateOperator create(KubernetesClient client, Clock clock) {
    return HexgateOperator.create(config(client, clock).build());
  }
}
