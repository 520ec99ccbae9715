package io.hexgate.observer.buffer;

import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.LostEvent;

/** One entry of the {@link FlowRing}: a flow, or a marker saying how many events never made it. */
public sealed interface RingEntry {
  /** Position in the ring's history: 0 for the first entry ever written, counting up. */
  long sequence();

  /** A flow as the agent observed it. */
  record FlowEntry(long sequence, Flow flow) implements RingEntry {
    /** The flow's time in nanoseconds since the epoch (0 when it has none). */
    public long timeNanos() {
      return flow.getTime().getSeconds() * 1_000_000_000L + flow.getTime().getNanos();
    }
  }

  /**
   * Events that were lost: a marker written into the ring (kernel or queue losses), or what a reader
   * missed because the writer overwrote it first ({@code HUBBLE_RING_BUFFER}).
   */
  record LostEntry(long sequence, LostEvent event) implements RingEntry {}
}
