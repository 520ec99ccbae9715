package io.hexgate.datapath.enforce;

import io.hexgate.contract.v1.EndpointKey;
import io.hexgate.contract.v1.StateUpdate;
import io.hexgate.datapath.agent.AgentState;
import io.hexgate.datapath.maps.Layouts;
import io.hexgate.datapath.maps.MapContents;
import io.hexgate.datapath.metrics.AgentMetrics;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The datapath where eBPF is unavailable: each revision is turned into the same map contents the kernel
 * would get (so bad input is rejected exactly as there) and held for the Java twin, but no packet on this
 * node is judged. The agent says so loudly.
 */
public final class TwinDatapath implements Datapath {
  private final String node;
  private final String why;
  private volatile MapContents contents = MapContents.EMPTY;

  public TwinDatapath(String node, String whyNoKernel) {
    this.node = node;
    this.why = whyNoKernel;
  }

  /** The contents of the last applied revision, as the twin holds them. */
  public MapContents contents() {
    return contents;
  }

  @Override
  public Map<EndpointKey, String> apply(StateUpdate update, AgentState next) {
    contents = MapContents.build(next, contents);
    return new LinkedHashMap<>(contents.endpointErrors());
  }

  @Override
  public boolean enforcesInKernel() {
    return false;
  }

  @Override
  public String describe() {
    return "Java datapath of node " + node + " (NOT enforcing in the kernel: " + why + ")";
  }

  @Override
  public AgentMetrics.Source metricsSource() {
    return new AgentMetrics.Source() {
      @Override
      public AgentMetrics.Counters counters() {
        return new AgentMetrics.Counters(new long[Layouts.METRICS_SLOTS], new long[Layouts.METRICS_SLOTS]);
      }

      @Override
      public Map<String, Double> mapPressure() {
        return Map.of();
      }
    };
  }

  @Override
  public void close() {}
}
