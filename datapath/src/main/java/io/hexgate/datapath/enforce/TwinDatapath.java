package io.hexgate.datapath.enforce;

import io.hexgate.contract.v1.EndpointKey;
import io.hexgate.contract.v1.StateUpdate;
import io.hexgate.datapath.abi.MetricsValue;
import io.hexgate.datapath.agent.AgentState;
import io.hexgate.datapath.agent.KernelEnforcement;
import io.hexgate.datapath.maps.ConntrackRevalidator;
import io.hexgate.datapath.maps.MapContents;
import io.hexgate.datapath.metrics.AgentMetrics;
import io.hexgate.datapath.twin.JavaDatapath;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The datapath where eBPF is unavailable: each revision becomes the same map contents the kernel would get
 * (so bad input is rejected exactly as there) and is loaded into the Java twin ({@link JavaDatapath}), which
 * judges whatever frames are handed to it. No packet on this node's interfaces reaches it: nothing is
 * enforced, and the agent says so loudly.
 */
public final class TwinDatapath implements Datapath {
  private final String node;
  private final String why;
  private final AgentMetrics metrics;
  private final JavaDatapath twin = new JavaDatapath(MapContents.EMPTY);
  private MapContents contents = MapContents.EMPTY;
  /** Stand-in interface indexes: the twin sees no interfaces, frames handed to fromPod name theirs. */
  private final Map<EndpointKey, Integer> ifindexes = new java.util.HashMap<>();

  public TwinDatapath(String node, String whyNoKernel) {
    this(node, whyNoKernel, null);
  }

  /** @param metrics where to count endpoints by enforcement (all {@code none} here), or null */
  public TwinDatapath(String node, String whyNoKernel, AgentMetrics metrics) {
    this.node = node;
    this.why = whyNoKernel;
    this.metrics = metrics;
  }

  /** The contents of the last applied revision. */
  @Override
  public java.util.Map<Integer, io.hexgate.contract.v1.EndpointKey> endpointIds() {
    return contents().endpointNames();
  }

  public synchronized MapContents contents() {
    return contents;
  }

  /** The interface index the twin takes as {@code endpoint}'s: hand its frames to fromPod with it. */
  public synchronized int ifindexOf(EndpointKey endpoint) {
    return ifindexes.computeIfAbsent(endpoint, k -> 1000 + ifindexes.size());
  }

  /** The twin holding them. */
  public JavaDatapath twin() {
    return twin;
  }

  @Override
  public synchronized Map<EndpointKey, String> apply(StateUpdate update, AgentState next) {
    MapContents to = MapContents.build(next, contents).withInterfaces(this::ifindexOf);
    twin.update(to);
    // as BpfDatapath does in the kernel: connections are judged again when next used
    if (ConntrackRevalidator.needed(contents, to)) {
      twin.configure(twin.config().withGeneration(twin.config().generation() + 1));
    }
    contents = to;
    if (metrics != null) {
      metrics.endpointEnforcement(next.endpoints().values(), false);
    }
    return new LinkedHashMap<>(to.endpointErrors());
  }

  @Override
  public KernelEnforcement enforcement() {
    return KernelEnforcement.not("the node runs the Java datapath, which judges no packet: " + why);
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
        long[] packets = new long[MetricsValue.METRICS_SLOTS];
        long[] bytes = new long[MetricsValue.METRICS_SLOTS];
        for (int slot = 0; slot < MetricsValue.METRICS_SLOTS; slot++) {
          MetricsValue v = twin.counter(slot / 4, slot % 4);
          packets[slot] = v.packets();
          bytes[slot] = v.bytes();
        }
        return new AgentMetrics.Counters(packets, bytes);
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
