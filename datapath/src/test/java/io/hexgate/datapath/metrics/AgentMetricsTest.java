package io.hexgate.datapath.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.datapath.abi.DropReasons;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AgentMetricsTest {
  private final long[] packets = new long[256 * 4];
  private final long[] bytes = new long[256 * 4];
  private double ctPressure = 0.25;
  private long lost;

  private AgentMetrics metrics() {
    AgentMetrics m = new AgentMetrics();
    m.source(
        new AgentMetrics.Source() {
          @Override
          public AgentMetrics.Counters counters() {
            return new AgentMetrics.Counters(packets.clone(), bytes.clone());
          }

          @Override
          public Map<String, Double> mapPressure() {
            return Map.of("hg_ct", ctPressure);
          }

          @Override
          public long lostEvents() {
            return lost;
          }
        });
    return m;
  }

  @Test
  void dropsAndForwardsAreExportedWithCiliumNamesReasonTextsAndDirections() {
    AgentMetrics m = metrics();
    packets[133 * 4 + 1] = 3;
    bytes[133 * 4 + 1] = 180;
    packets[181 * 4 + 2] = 2;
    packets[1] = 10;
    packets[2] = 12;
    packets[3] = 40;
    String text = m.scrape();
    assertThat(text)
        .contains("cilium_drop_count_total{direction=\"INGRESS\",reason=\"Policy denied\"} 3.0")
        .contains("cilium_drop_bytes_total{direction=\"INGRESS\",reason=\"Policy denied\"} 180.0")
        .contains("cilium_drop_count_total{direction=\"EGRESS\",reason=\"Policy denied by denylist\"} 2.0")
        .contains("cilium_forward_count_total{direction=\"INGRESS\"} 10.0")
        .contains("cilium_forward_count_total{direction=\"EGRESS\"} 12.0")
        .contains("cilium_bpf_map_pressure{map_name=\"hg_ct\"} 0.25")
        .contains("hexgate_uplink_received_packets_total 40.0")
        .doesNotContain("direction=\"UPLINK\"")
        .doesNotContain("reason=\"Invalid packet\"");

    packets[133 * 4 + 1] = 7;
    ctPressure = 0.5;
    m.endpointEnforcement(1, 2, 0, 3);
    text = m.scrape();
    assertThat(text)
        .contains("cilium_drop_count_total{direction=\"INGRESS\",reason=\"Policy denied\"} 7.0")
        .contains("cilium_bpf_map_pressure{map_name=\"hg_ct\"} 0.5")
        .contains("cilium_policy_endpoint_enforcement_status{enforcement=\"ingress\"} 2.0")
        .contains("cilium_policy_endpoint_enforcement_status{enforcement=\"both\"} 3.0");
  }

  @Test
  void eventsTheRingBufferLostAndUplinkDropsByReasonAreExported() {
    AgentMetrics m = metrics();
    String series = "hexgate_datapath_events_lost_total";
    assertThat(m.scrape()).contains(series + " 0.0");
    lost = 1234;
    packets[132 * 4 + 3] = 5;
    packets[3] = 40;
    assertThat(m.scrape())
        .contains(series + " 1234.0")
        .contains("cilium_drop_count_total{direction=\"UPLINK\",reason=\"Invalid source ip\"} 5.0")
        .contains("hexgate_uplink_received_packets_total 40.0")
        .doesNotContain("hubble_");
  }

  @Test
  void anUnknownReasonIsNamedByItsNumber() {
    assertThat(DropReasons.text(133)).isEqualTo("Policy denied");
    assertThat(DropReasons.text(250)).isEqualTo("Unknown reason (250)");
  }
}
