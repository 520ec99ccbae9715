package io.hexgate.datapath.enforce;

import io.hexgate.datapath.bpf.BpfMap;
import io.hexgate.datapath.maps.ConntrackGc;
import io.hexgate.datapath.maps.KernelConntrack;
import io.hexgate.datapath.maps.MapContents;
import io.hexgate.datapath.metrics.AgentMetrics;
import io.hexgate.datapath.netns.NetNsThread;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's conntrack GC on the kernel's hg_ct: on a timer (every second while the map is more than a
 * quarter full, as Cilium shortens its interval when the map fills), soon after a connection was refused
 * for want of room, and on demand. Passes run on the node's namespace thread, against the contents in force.
 */
final class ConntrackCollector {
  private static final Logger log = LoggerFactory.getLogger(ConntrackCollector.class);
  private static final long URGENT_GC_SPACING_NANOS = 250_000_000L;
  private static final long BUSY_GC_INTERVAL_MS = 1000;
  private static final Duration COUNT_EVERY = Duration.ofSeconds(5);

  private final String node;
  private final NetNsThread net;
  private final ScheduledExecutorService timer;
  private final KernelConntrack conntrack;
  private final BpfMap ctMap;
  /** The contents in force, read on the net thread. */
  private final Supplier<MapContents> current;
  private final BooleanSupplier closed;
  private final AgentMetrics metrics;
  private final AtomicBoolean urgentQueued = new AtomicBoolean();
  private volatile long entries;
  private volatile long countedAt;
  private volatile long lastGcAt;

  ConntrackCollector(String node, NetNsThread net, ScheduledExecutorService timer, KernelConntrack conntrack, BpfMap ctMap,
      Supplier<MapContents> current, BooleanSupplier closed, AgentMetrics metrics) {
    this.node = node;
    this.net = net;
    this.timer = timer;
    this.conntrack = conntrack;
    this.ctMap = ctMap;
    this.current = current;
    this.closed = closed;
    this.metrics = metrics;
  }

  /** Runs a pass every {@code interval}, or every second while the map is more than a quarter full. */
  void schedule(Duration interval) {
    long busy = Math.min(interval.toMillis(), BUSY_GC_INTERVAL_MS);
    long next = entries > ctMap.maxEntries() / 4 ? busy : interval.toMillis();
    try {
      timer.schedule(() -> {
        collect();
        if (!closed.getAsBoolean()) {
          schedule(interval);
        }
      }, next, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException closing) {
      // the datapath is closing
    }
  }

  private void collect() {
    if (closed.getAsBoolean()) {
      return;
    }
    try {
      net.call(() -> {
        collectHere();
        return null;
      });
    } catch (Exception e) {
      log.warn("node {}: conntrack GC failed: {}", node, e.toString());
    }
  }

  /**
   * A connection was refused because conntrack is full, or its endpoint's quota is used up (155): collect
   * garbage now rather than at the next interval (at most one pass queued, none within 250 ms of the last),
   * so that expired and, under pressure, closing connections make room.
   */
  void collectSoon() {
    long now = System.nanoTime();
    if (now - lastGcAt < URGENT_GC_SPACING_NANOS || !urgentQueued.compareAndSet(false, true)) {
      return;
    }
    try {
      timer.execute(() -> {
        urgentQueued.set(false);
        collect();
      });
    } catch (RejectedExecutionException closing) {
      urgentQueued.set(false);
    }
  }

  /** One pass now, on the net thread. */
  ConntrackGc.Pass collectNow() throws Exception {
    return net.call(this::collectHere);
  }

  private ConntrackGc.Pass collectHere() {
    long started = System.nanoTime();
    ConntrackGc.Pass pass = conntrack.collectGarbage(current.get());
    entries = pass.live();
    countedAt = System.nanoTime();
    lastGcAt = countedAt;
    int deleted = pass.deletions().size();
    if (metrics != null) {
      metrics.conntrackGc(deleted);
    }
    if (deleted > 0) {
      log.info("node {}: conntrack GC deleted {} entries ({} expired, {} no longer allowed), {} left, in {} ms",
          node, deleted, pass.expired(), pass.cut(), pass.live(), (System.nanoTime() - started) / 1_000_000);
    }
    return pass;
  }

  /** The entries in hg_ct: as the last pass left them, or counted anew when that is more than a few seconds ago. */
  long entries() {
    long now = System.nanoTime();
    if (countedAt == 0 || now - countedAt > COUNT_EVERY.toNanos()) {
      // CT entries are the kernel's: count them, at most every few seconds (one syscall per entry)
      entries = ctMap.keys().size();
      countedAt = now;
    }
    return entries;
  }
}
