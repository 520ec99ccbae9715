package io.hexgate.datapath.agent;

import io.hexgate.contract.v1.EndpointKey;
import io.hexgate.contract.v1.StateUpdate;
import java.util.Map;

/** Puts the operator's desired state into force on this node (BPF maps, the twin, a test's memory). */
public interface DesiredStateApplier {
  /**
   * Makes {@code next} the enforced state. {@code update} is what changed since the previous call (for a
   * snapshot: everything, and endpoints absent from it are gone). Called on one thread at a time.
   *
   * @return the endpoints that could not be put into force, with the reason; empty when all were
   * @throws Exception to reject the revision as a whole (a NACK carrying the message); the agent then
   *     keeps {@code previous} state and waits for the operator's snapshot
   */
  Map<EndpointKey, String> apply(StateUpdate update, AgentState next) throws Exception;

  /**
   * The agent (re)connects to the operator: a datapath puts its not-ready filter on pod interfaces that
   * have none (made while it was disconnected). Must not throw.
   */
  default void guardInterfaces() {}
}
