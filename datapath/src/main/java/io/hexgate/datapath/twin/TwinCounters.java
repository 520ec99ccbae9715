package io.hexgate.datapath.twin;

import io.hexgate.datapath.abi.MetricsValue;

/** hg_metrics: packets and bytes per drop reason (0 = forwarded) and direction. */
final class TwinCounters {
  private final long[] packets = new long[MetricsValue.METRICS_SLOTS];
  private final long[] bytes = new long[MetricsValue.METRICS_SLOTS];

  void count(int reason, int dir, int len) {
    int slot = MetricsValue.metricsSlot(reason, dir);
    packets[slot]++;
    bytes[slot] += len;
  }

  MetricsValue get(int reason, int dir) {
    int slot = MetricsValue.metricsSlot(reason, dir);
    return new MetricsValue(packets[slot], bytes[slot]);
  }
}
