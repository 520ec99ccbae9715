package io.hexgate.datapath.metrics;

import io.hexgate.contract.v1.EndpointState;
import io.hexgate.datapath.abi.DropReasons;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The node agent's Prometheus metrics, with Cilium's names: {@code cilium_drop_count_total{reason,direction}}
 * and {@code cilium_forward_count_total{direction}} (and their {@code _bytes_} twins), read from the
 * datapath's per-CPU counters at each scrape, so they are exact (from_netdev's drops under direction
 * {@code UPLINK}); {@code cilium_policy_endpoint_enforcement_status}, {@code cilium_bpf_map_pressure{map_name}},
 * and {@code hexgate_datapath_events_lost_total} for events the kernel's ring buffer had no room for. Hubble's
 * own series for those ({@code hubble_lost_events_total}) are on Hubble's metrics port only, so that a
 * Prometheus scraping both ports does not count them twice.
 */
public final class AgentMetrics {
  /** Cumulative counters by slot {@code reason * 4 + direction}, summed over CPUs (reason 0: forwarded). */
  public record Counters(long[] packets, long[] bytes) {
    public static final int DIRECTIONS = 4;
  }

  /** Where the numbers come from; called on the scraping thread. */
  public interface Source {
    Counters counters();

    /** Map name → used entries / max entries. */
    Map<String, Double> mapPressure();

    /** Events the datapath could not hand over (its ring buffer was full), cumulative. */
    default long lostEvents() {
      return 0;
    }
  }

  private static final String[] DIRECTION = {"UNKNOWN", "INGRESS", "EGRESS", "UPLINK"};
  private static final String[] ENFORCEMENT = {"none", "ingress", "egress", "both"};

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final AtomicReference<Source> source = new AtomicReference<>();
  private final Map<Integer, AtomicLong[]> slots = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> pressure = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> enforcement = new ConcurrentHashMap<>();
  private final Counter flowEvents;
  private final Counter lostEvents;
  private final AtomicLong ringBufferLost = new AtomicLong();
  private final Counter ctGcDeleted;
  private final Counter ctGcRuns;

  public AgentMetrics() {
    for (String e : ENFORCEMENT) {
      AtomicLong v = new AtomicLong();
      enforcement.put(e, v);
      Gauge.builder("cilium.policy.endpoint.enforcement.status", v, AtomicLong::get)
          .description("Number of endpoints labeled by policy enforcement status")
          .tag("enforcement", e)
          .register(registry);
    }
    flowEvents =
        Counter.builder("hexgate.datapath.events")
            .description("Verdict and drop events read from the datapath's ring buffer")
            .register(registry);
    lostEvents =
        Counter.builder("hexgate.datapath.events.undecodable")
            .description("Ring buffer records that could not be decoded")
            .register(registry);
    // counted here too, as Hubble's metrics may be off
    FunctionCounter.builder("hexgate.datapath.events.lost", ringBufferLost, AtomicLong::get)
        .description("Events the datapath's ring buffer had no room for")
        .register(registry);
    ctGcDeleted =
        Counter.builder("hexgate.conntrack.gc.deleted")
            .description("Conntrack entries the GC deleted: expired, or of connections policy no longer allows")
            .register(registry);
    ctGcRuns =
        Counter.builder("cilium.datapath.conntrack.gc.runs")
            .description("Conntrack GC passes")
            .register(registry);
  }

  /** One conntrack GC pass that deleted {@code deleted} entries. */
  public void conntrackGc(int deleted) {
    ctGcRuns.increment();
    ctGcDeleted.increment(deleted);
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Sets (or replaces, e.g. after a datapath restart) where counters and map pressure come from. */
  public void source(Source s) {
    source.set(s);
  }

  /**
   * Endpoints by enforcement, counted from their desired state. Where the kernel does not judge packets by
   * it ({@code kernelEnforces} false: the Java datapath), every endpoint is {@code none}, whatever its
   * policy says, as the operator reports the node.
   */
  public void endpointEnforcement(Collection<EndpointState> endpoints, boolean kernelEnforces) {
    int none = 0;
    int in = 0;
    int out = 0;
    int both = 0;
    for (EndpointState e : endpoints) {
      boolean i = kernelEnforces && e.getIngress().getEnforcing();
      boolean o = kernelEnforces && e.getEgress().getEnforcing();
      if (i && o) {
        both++;
      } else if (i) {
        in++;
      } else if (o) {
        out++;
      } else {
        none++;
      }
    }
    endpointEnforcement(none, in, out, both);
  }

  /** Endpoints by enforcement: {@code ingress} and {@code egress} say which directions enforce. */
  public void endpointEnforcement(int none, int ingressOnly, int egressOnly, int both) {
    enforcement.get("none").set(none);
    enforcement.get("ingress").set(ingressOnly);
    enforcement.get("egress").set(egressOnly);
    enforcement.get("both").set(both);
  }

  public void eventRead() {
    flowEvents.increment();
  }

  public void eventUndecodable() {
    lostEvents.increment();
  }

  /** Reads the datapath's counters, then renders every metric in the Prometheus text format. */
  public String scrape() {
    refresh();
    return registry.scrape();
  }

  /** Reads the datapath's counters into the meters (done by {@link #scrape()}). */
  public synchronized void refresh() {
    Source s = source.get();
    if (s == null) {
      return;
    }
    Counters c = s.counters();
    ringBufferLost.accumulateAndGet(s.lostEvents(), Math::max);
    for (int slot = 0; slot < c.packets().length; slot++) {
      long packets = c.packets()[slot];
      AtomicLong[] held = slots.get(slot);
      if (held == null) {
        if (packets == 0) {
          continue;
        }
        held = register(slot);
      }
      // counters only grow; a recreated counter map (should not happen: it is pinned) must not go back
      held[0].accumulateAndGet(packets, Math::max);
      held[1].accumulateAndGet(c.bytes()[slot], Math::max);
    }
    for (Map.Entry<String, Double> e : s.mapPressure().entrySet()) {
      pressure
          .computeIfAbsent(
              e.getKey(),
              name -> {
                AtomicLong bits = new AtomicLong();
                Gauge.builder("cilium.bpf.map.pressure", bits, b -> Double.longBitsToDouble(b.get()))
                    .description("Fill percentage of BPF maps, tagged by map name (0..1)")
                    .tag("map_name", name)
                    .register(registry);
                return bits;
              })
          .set(Double.doubleToLongBits(e.getValue()));
    }
  }

  private AtomicLong[] register(int slot) {
    int reason = slot / Counters.DIRECTIONS;
    String direction = DIRECTION[slot % Counters.DIRECTIONS];
    AtomicLong packets = new AtomicLong();
    AtomicLong bytes = new AtomicLong();
    if (slot % Counters.DIRECTIONS == 3 && reason == 0) {
      // from_netdev's forwarded slot: what arrived on the uplink, not a policy direction (Cilium has no label
      // for it); its drops are cilium_drop_count_total with direction UPLINK
      FunctionCounter.builder("hexgate.uplink.received.packets", packets, AtomicLong::get)
          .description("Packets received on the node's uplink, counted by from_netdev")
          .register(registry);
      FunctionCounter.builder("hexgate.uplink.received.bytes", bytes, AtomicLong::get)
          .description("Bytes received on the node's uplink, counted by from_netdev")
          .register(registry);
    } else if (reason == 0) {
      Tags tags = Tags.of("direction", direction);
      FunctionCounter.builder("cilium.forward.count", packets, AtomicLong::get)
          .description("Total forwarded packets, tagged by ingress/egress direction")
          .tags(tags)
          .register(registry);
      FunctionCounter.builder("cilium.forward.bytes", bytes, AtomicLong::get)
          .description("Total forwarded bytes, tagged by ingress/egress direction")
          .tags(tags)
          .register(registry);
    } else {
      Tags tags = Tags.of("reason", DropReasons.text(reason), "direction", direction);
      FunctionCounter.builder("cilium.drop.count", packets, AtomicLong::get)
          .description("Total dropped packets, tagged by drop reason and ingress/egress direction")
          .tags(tags)
          .register(registry);
      FunctionCounter.builder("cilium.drop.bytes", bytes, AtomicLong::get)
          .description("Total dropped bytes, tagged by drop reason and ingress/egress direction")
          .tags(tags)
          .register(registry);
    }
    AtomicLong[] held = {packets, bytes};
    slots.put(slot, held);
    return held;
  }
}
