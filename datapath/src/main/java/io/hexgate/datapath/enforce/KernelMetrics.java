package io.hexgate.datapath.enforce;

import io.hexgate.datapath.abi.MetricsValue;
import io.hexgate.datapath.abi.ScalarCodecs;
import io.hexgate.datapath.bpf.BpfMap;
import io.hexgate.datapath.bpf.BpfObject;
import io.hexgate.datapath.maps.MapContents;
import io.hexgate.datapath.metrics.AgentMetrics;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * What the agent's metrics read from the kernel: the programs' per-CPU counters (hg_metrics) summed, how
 * full each map is, and how many events were lost.
 */
final class KernelMetrics implements AgentMetrics.Source {
  private static final List<String> SIZED =
      List.of("hg_ipcache", "hg_ipcache_host", "hg_endpoints", "hg_policy", "hg_services", "hg_backends");

  private final BpfMap metricsMap;
  private final BpfMap ctMap;
  private final Map<String, BpfMap> sizedMaps = new LinkedHashMap<>();
  private final Supplier<MapContents> inForce;
  private final LongSupplier ctEntries;
  private final LongSupplier lostEvents;

  KernelMetrics(BpfObject obj, Supplier<MapContents> inForce, LongSupplier ctEntries, LongSupplier lostEvents) {
    this.metricsMap = obj.map("hg_metrics");
    this.ctMap = obj.map("hg_ct");
    for (String m : SIZED) {
      sizedMaps.put(m, obj.map(m));
    }
    this.inForce = inForce;
    this.ctEntries = ctEntries;
    this.lostEvents = lostEvents;
  }

  /** The per-CPU counters summed, by slot {@code reason * 4 + direction}. */
  @Override
  public AgentMetrics.Counters counters() {
    long[] packets = new long[MetricsValue.METRICS_SLOTS];
    long[] bytes = new long[MetricsValue.METRICS_SLOTS];
    for (int slot = 0; slot < MetricsValue.METRICS_SLOTS; slot++) {
      byte[] v = metricsMap.lookup(ScalarCodecs.U32.encode(slot));
      if (v != null) {
        MetricsValue sum = MetricsValue.sumPerCpu(v);
        packets[slot] = sum.packets();
        bytes[slot] = sum.bytes();
      }
    }
    return new AgentMetrics.Counters(packets, bytes);
  }

  @Override
  public Map<String, Double> mapPressure() {
    MapContents c = inForce.get();
    Map<String, Double> p = new LinkedHashMap<>();
    p.put("hg_ipcache", ratio(c.ipcache().size(), sizedMaps.get("hg_ipcache")));
    p.put("hg_ipcache_host", ratio(c.ipcacheHosts().size(), sizedMaps.get("hg_ipcache_host")));
    p.put("hg_endpoints", ratio(c.endpoints().size(), sizedMaps.get("hg_endpoints")));
    p.put("hg_policy", ratio(c.policy().size(), sizedMaps.get("hg_policy")));
    p.put("hg_services", ratio(c.services().size(), sizedMaps.get("hg_services")));
    p.put("hg_backends", ratio(c.backends().size(), sizedMaps.get("hg_backends")));
    p.put("hg_ct", ratio(ctEntries.getAsLong(), ctMap));
    return p;
  }

  @Override
  public long lostEvents() {
    return lostEvents.getAsLong();
  }

  private static double ratio(long used, BpfMap map) {
    return (double) used / map.maxEntries();
  }
}
