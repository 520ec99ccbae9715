package io.hexgate.datapath.twin;

import io.hexgate.datapath.abi.Event;
import java.util.Optional;

/**
 * What the datapath did with one packet: the tc action ({@link #TC_ACT_OK} or {@link #TC_ACT_SHOT}), the
 * reason left in {@code skb->cb[0]} (0 forwarded), the packet as it leaves (rewritten when translated), and
 * the ring-buffer event it emitted, if any (with time 0).
 */
public record Verdict(int tcAction, int reason, byte[] packet, Optional<Event> event) {
  public static final int TC_ACT_OK = 0;
  public static final int TC_ACT_SHOT = 2;

  public boolean forwarded() {
    return tcAction == TC_ACT_OK;
  }
}
