package io.hexgate.datapath.enforce;

import io.hexgate.datapath.agent.DesiredStateApplier;
import io.hexgate.datapath.agent.KernelEnforcement;
import io.hexgate.datapath.metrics.AgentMetrics;

/**
 * What puts the operator's desired state into force on a node: the eBPF datapath in the kernel
 * ({@link BpfDatapath}), or the Java twin where eBPF is unavailable ({@link TwinDatapath}), which enforces
 * nothing on real traffic.
 */
public interface Datapath extends DesiredStateApplier, AutoCloseable {
  /** Whether packets on this node obey the applied state, and why not; the agent tells the operator. */
  KernelEnforcement enforcement();

  /** Whether packets on this node obey the applied state. */
  default boolean enforcesInKernel() {
    return enforcement().enforcing();
  }

  /** One line for logs and banners: what enforces, where. */
  String describe();

  /** The endpoints in force by the id the programs know them by (what events carry). */
  java.util.Map<Integer, io.hexgate.contract.v1.EndpointKey> endpointIds();

  /** The counters and map pressure the agent's metrics read. */
  AgentMetrics.Source metricsSource();

  /** Releases this process's handles. Enforcement in the kernel (pinned maps, attached programs) stays. */
  @Override
  void close();
}
