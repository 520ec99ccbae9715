package io.hexgate.datapath.twin;

import io.hexgate.datapath.maps.Layouts;
import io.hexgate.datapath.maps.Layouts.MetricsValue;

/** hg_metrics: packets and bytes per drop reason (0 = forwarded) and direction. */
final class TwinCounters {
  private final long[] packets = new long[Layouts.METRICS_SLOTS];
  private final long[] bytes = new long[Layouts.METRICS_SLOTS];

  void count(int reason, int dir, int len) {
    int slot = Layouts.metricsSlot(reason, dir);
    packets[slot]++;
    bytes[slot] += len;
  }

  MetricsValue get(int reason, int dir) {
    int slot = Layouts.metricsSlot(reason, dir);
    return new MetricsValue(packets[slot], bytes[slot]);
  }
}
