package io.hexgate.operator.node;

/**
 * Receives every ACK and NACK, on a gRPC thread; implementations must return quickly (e.g. record the
 * report and let a batching writer act on it later).
 */
public interface AgentReportListener {
  void reported(AgentReport report);

  /**
   * An agent's Hello said whether its node's kernel enforces what it applies (every ACK says it again, in
   * its {@link AgentReport}).
   */
  default void kernelEnforcement(String node, boolean enforcing, String reason) {}

  /** An agent's stream opened (after its node was verified) or closed. */
  default void connectionChanged(String node, boolean connected) {}
}
