package io.hexgate.observer.buffer;

import io.hexgate.contract.hubble.flow.LostEvent;
import io.hexgate.contract.hubble.flow.LostEventSource;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A cursor into a {@link FlowRing}, between two entries. Not thread-safe: one reader per client. It
 * never blocks the writer; when the writer laps it, the reader says so with a {@code HUBBLE_RING_BUFFER}
 * lost event counting the entries it missed, then carries on from the oldest entry still held.
 */
public final class RingReader {
  private final FlowRing ring;
  private long position;

  RingReader(FlowRing ring, long position) {
    this.ring = ring;
    this.position = position;
  }

  /** Sequence number of the entry {@link #next()} would return. */
  public long position() {
    return position;
  }

  /** Whether {@link #next()} has something to return now. */
  public boolean hasNext() {
    return position < ring.nextSequence();
  }

  /**
   * The entry after the cursor, moving past it; null when the reader has caught up with the writer. If
   * the writer overwrote that entry already, a {@link RingEntry.LostEntry} ({@code HUBBLE_RING_BUFFER},
   * the number of entries skipped) and the cursor moves to the oldest entry held.
   */
  public RingEntry next() {
    if (position >= ring.nextSequence()) {
      return null;
    }
    RingEntry entry = position >= ring.oldestSequence() ? ring.entry(position) : null;
    if (entry != null) {
      position++;
      return entry;
    }
    // written (it is below the cursor) but no longer held: the writer lapped us
    long oldest = ring.oldestSequence();
    RingEntry lost = new RingEntry.LostEntry(position, LostEvent.newBuilder()
        .setSource(LostEventSource.HUBBLE_RING_BUFFER)
        .setNumEventsLost(oldest - position)
        .build());
    position = oldest;
    return lost;
  }

  /**
   * The entry before the cursor, moving back over it; null (cursor unchanged) when there is none: the
   * cursor is at the oldest entry held, or the writer has just overwritten the one before it.
   */
  public RingEntry previous() {
    if (position <= ring.oldestSequence() || position > ring.nextSequence()) {
      return null;
    }
    RingEntry entry = ring.entry(position - 1);
    if (entry == null) {
      return null;
    }
    position--;
    return entry;
  }

  /**
   * Like {@link #next()}, but waits up to {@code timeout} for the writer when caught up: null only on
   * timeout. The writer wakes the waiting thread (unpark) without taking a lock per write; a reader
   * registers with the ring only when it has nothing left to read, so once per batch.
   *
   * @throws InterruptedException when the waiting thread is interrupted (how a follower is cancelled)
   */
  public RingEntry nextFollow(long timeout, TimeUnit unit) throws InterruptedException {
    RingEntry entry = next();
    if (entry != null) {
      return entry;
    }
    Thread waiter = Thread.currentThread();
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    try (FlowRing.Subscription ignored = ring.onWrite(() -> LockSupport.unpark(waiter))) {
      while (true) {
        // registered before this check, so a write after it unparks us
        entry = next();
        if (entry != null) {
          return entry;
        }
        if (Thread.interrupted()) {
          throw new InterruptedException("stopped waiting for flows");
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return null;
        }
        LockSupport.parkNanos(this, left);
      }
    }
  }
}
