package io.hexgate.observer.buffer;

import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.LostEvent;
import io.hexgate.contract.hubble.flow.LostEventSource;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The agent's flow ring, as Hubble keeps it: the last {@code capacity} events (flows and lost-event
 * markers), capacity 2^n-1 (4095 by default), the oldest overwritten.
 *
 * <p>Every entry carries its sequence number, and the write cursor is a volatile counter, so readers
 * never lock and the writer never waits for them: a reader that finds a newer sequence in the slot it
 * wanted was overtaken, and learns by how much (see {@link RingReader#next()}). Writers are serialised
 * among themselves only. Followers register a {@link #onWrite listener}, run on the writer's thread
 * after each write; it must only signal (set a flag, unpark a thread, schedule a task), never block.
 */
public final class FlowRing {
  public static final int DEFAULT_CAPACITY = 4095;

  private final int capacity;
  private final int mask;
  // one slot more than the capacity: the slot the next write takes is never one a reader may still want
  private final AtomicReferenceArray<RingEntry> slots;
  private final Object writeLock = new Object();
  private volatile long cursor;
  private volatile long flowsWritten;
  private volatile Runnable[] listeners = new Runnable[0];

  /** @throws IllegalArgumentException unless {@code capacity} is 2^n-1 (1, 3, 7, ..., 4095, 65535, ...) */
  public FlowRing(int capacity) {
    if (capacity < 1 || capacity == Integer.MAX_VALUE || Integer.bitCount(capacity + 1) != 1) {
      throw new IllegalArgumentException(
          "flow ring capacity must be one less than a power of two (1, 3, 7, ..., 4095, 65535), got " + capacity);
    }
    this.capacity = capacity;
    this.mask = capacity;
    this.slots = new AtomicReferenceArray<>(capacity + 1);
  }

  public int capacity() {
    return capacity;
  }

  /** Appends a flow, overwriting the oldest entry when the ring is full. */
  public void write(Flow flow) {
    synchronized (writeLock) {
      long sequence = cursor;
      slots.lazySet((int) (sequence & mask), new RingEntry.FlowEntry(sequence, flow));
      flowsWritten = flowsWritten + 1;
      cursor = sequence + 1;
    }
    signal();
  }

  /** Appends a marker for {@code count} events lost before reaching the ring. */
  public void lost(LostEventSource source, long count) {
    lost(LostEvent.newBuilder().setSource(source).setNumEventsLost(count).build());
  }

  /** Appends a lost-events marker as given (with its cpu and first/last times, if known). */
  public void lost(LostEvent event) {
    synchronized (writeLock) {
      long sequence = cursor;
      slots.lazySet((int) (sequence & mask), new RingEntry.LostEntry(sequence, event));
      cursor = sequence + 1;
    }
    signal();
  }

  /** The sequence number the next entry will get, i.e. how many entries were ever written. */
  public long nextSequence() {
    return cursor;
  }

  /** The sequence number of the oldest entry still held (equal to {@link #nextSequence()} when empty). */
  public long oldestSequence() {
    return Math.max(0, cursor - capacity);
  }

  /** How many entries the ring holds now. */
  public int size() {
    return (int) Math.min(cursor, capacity);
  }

  /** How many flows (not lost markers) were ever written. */
  public long flowsWritten() {
    return flowsWritten;
  }

  /** A reader positioned before the oldest entry held now. */
  public RingReader readFromOldest() {
    return new RingReader(this, oldestSequence());
  }

  /** A reader positioned after the newest entry: it sees only what is written from now on. */
  public RingReader readFromNewest() {
    return new RingReader(this, nextSequence());
  }

  /** A reader positioned before the entry with this sequence number. */
  public RingReader readFrom(long sequence) {
    if (sequence < 0) {
      throw new IllegalArgumentException("ring sequence cannot be negative: " + sequence);
    }
    return new RingReader(this, sequence);
  }

  /**
   * Runs {@code listener} on the writer's thread after every write until the returned handle is
   * closed. The listener must return at once: set a flag, unpark a thread or schedule a task.
   */
  public Subscription onWrite(Runnable listener) {
    synchronized (writeLock) {
      Runnable[] now = listeners;
      Runnable[] next = Arrays.copyOf(now, now.length + 1);
      next[now.length] = listener;
      listeners = next;
    }
    return () -> removeListener(listener);
  }

  /** Stops a listener registered with {@link #onWrite}; closing twice is harmless. */
  @FunctionalInterface
  public interface Subscription extends AutoCloseable {
    @Override
    void close();
  }

  private void removeListener(Runnable listener) {
    synchronized (writeLock) {
      Runnable[] now = listeners;
      for (int i = 0; i < now.length; i++) {
        if (now[i] == listener) {
          Runnable[] next = new Runnable[now.length - 1];
          System.arraycopy(now, 0, next, 0, i);
          System.arraycopy(now, i + 1, next, i, now.length - i - 1);
          listeners = next;
          return;
        }
      }
    }
  }

  private void signal() {
    for (Runnable listener : listeners) {
      listener.run();
    }
  }

  /** The entry with this sequence, or null when it is not written yet or already overwritten. */
  RingEntry entry(long sequence) {
    RingEntry entry = slots.get((int) (sequence & mask));
    return entry != null && entry.sequence() == sequence ? entry : null;
  }
}
