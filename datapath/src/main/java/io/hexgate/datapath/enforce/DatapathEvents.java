package io.hexgate.datapath.enforce;

import io.hexgate.datapath.abi.DropReasons;
import io.hexgate.datapath.abi.Event;
import io.hexgate.datapath.abi.ScalarCodecs;
import io.hexgate.contract.thread.DaemonThreads;
import io.hexgate.contract.v1.Flow;
import io.hexgate.datapath.bpf.BpfMap;
import io.hexgate.datapath.bpf.RingBuffer;
import io.hexgate.datapath.flow.EventFlows;
import io.hexgate.datapath.maps.MapContents;
import io.hexgate.datapath.metrics.AgentMetrics;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the programs' events from the hg_events ring buffer on a thread of its own and hands each on as a
 * flow, named with the rules of the contents in force; says when events were lost (hg_lost), and asks for
 * a conntrack GC pass when a connection was refused for want of room.
 */
final class DatapathEvents implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DatapathEvents.class);
  private static final Duration LOST_CHECK_EVERY = Duration.ofSeconds(5);

  private final String node;
  private final RingBuffer ring;
  private final BpfMap lostMap;
  private final Thread thread;
  private final EventFlows eventFlows = new EventFlows();
  private final Consumer<Flow> flows;
  private final Supplier<MapContents> inForce;
  private final Runnable connectionRefused;
  private final AgentMetrics metrics;
  private volatile boolean closed;
  // event thread only
  private long lostLogged;
  private long lostCheckedAt;

  DatapathEvents(String node, BpfMap events, BpfMap lostMap, Consumer<Flow> flows, Supplier<MapContents> inForce,
      Runnable connectionRefused, AgentMetrics metrics) {
    this.node = node;
    this.lostMap = lostMap;
    this.flows = flows;
    this.inForce = inForce;
    this.connectionRefused = connectionRefused;
    this.metrics = metrics;
    this.ring = new RingBuffer(events, this::onEvent);
    this.thread = DaemonThreads.thread("hexgate-events-" + node, this::poll);
  }

  void start() {
    thread.start();
  }

  /** Events the programs could not write because the ring buffer was full, summed over CPUs. */
  long lost() {
    byte[] v = lostMap.lookup(ScalarCodecs.U32.encode(0));
    return v == null ? 0 : ScalarCodecs.sumPerCpuU64(v);
  }

  private void poll() {
    while (!closed) {
      try {
        ring.poll(200);
        logLost();
      } catch (RuntimeException e) {
        if (!closed) {
          log.warn("node {}: reading datapath events failed: {}", node, e.toString());
          sleepQuietly(1000);
        }
      }
    }
  }

  // says so when events were lost since the last look (at most every few seconds)
  private void logLost() {
    long now = System.nanoTime();
    if (lostCheckedAt != 0 && now - lostCheckedAt < LOST_CHECK_EVERY.toNanos()) {
      return;
    }
    lostCheckedAt = now;
    long lost = lost();
    if (lost > lostLogged) {
      log.warn("node {}: {} datapath events lost since the last report ({} in all): the ring buffer was full; "
          + "counters stay exact, flows are missing", node, lost - lostLogged, lost);
      lostLogged = lost;
    }
  }

  private void onEvent(ByteBuffer record) {
    Event e;
    try {
      e = Event.CODEC.read(record);
    } catch (RuntimeException ex) {
      if (metrics != null) {
        metrics.eventUndecodable();
      }
      return;
    }
    if (metrics != null) {
      metrics.eventRead();
    }
    if (e.reason() == DropReasons.DROP_CT_CREATE_FAILED) {
      connectionRefused.run();
    }
    if (flows != null) {
      try {
        flows.accept(eventFlows.toFlow(e, inForce.get().rules()));
      } catch (RuntimeException ex) {
        // never let a consumer's failure stop the ring buffer's reader
        log.warn("node {}: handing on a flow failed: {}", node, ex.toString());
      }
    }
  }

  /** Stops the reader (waiting a little for it) and releases the ring buffer. */
  @Override
  public void close() {
    closed = true;
    try {
      thread.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    ring.close();
  }

  private static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
