package io.hexgate.operator.relay;

import com.google.protobuf.Timestamp;
import io.hexgate.contract.hubble.observer.GetFlowsResponse;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.PriorityQueue;

/**
 * Hubble Relay's sort buffer: answers from several nodes held in time order, at most {@code capacity} of
 * them; adding one more gives back the oldest to send. Equal times keep their arrival order. Not
 * thread-safe (one per GetFlows call, used by its sending thread).
 */
final class SortBuffer {
  private record Held(GetFlowsResponse response, long arrival, long arrivedNanos) {}

  private static final Comparator<Held> ORDER =
      Comparator.<Held, Timestamp>comparing(h -> h.response().getTime(), SortBuffer::compare).thenComparingLong(Held::arrival);

  private final int capacity;
  private final PriorityQueue<Held> queue = new PriorityQueue<>(ORDER);
  private long arrivals;

  SortBuffer(int capacity) {
    this.capacity = capacity;
  }

  /** Holds {@code r}; when that makes more than the capacity, the oldest held answer, to be sent now. */
  Optional<GetFlowsResponse> add(GetFlowsResponse r) {
    return add(r, System.nanoTime());
  }

  Optional<GetFlowsResponse> add(GetFlowsResponse r, long nowNanos) {
    queue.add(new Held(r, arrivals++, nowNanos));
    return queue.size() > capacity ? Optional.of(queue.poll().response()) : Optional.empty();
  }

  /**
   * The answers to send now so that none is held since before {@code cutoffNanos}: the oldest by time,
   * up to and including every one that arrived before the cutoff. What a follower waits for a new flow
   * is then bounded by time, not only by how many flows come after it.
   */
  List<GetFlowsResponse> releaseArrivedBefore(long cutoffNanos) {
    List<GetFlowsResponse> out = new ArrayList<>();
    while (!queue.isEmpty() && queue.stream().anyMatch(h -> h.arrivedNanos() < cutoffNanos)) {
      out.add(queue.poll().response());
    }
    return out;
  }

  /** Everything held, oldest first; the buffer is empty afterwards. */
  List<GetFlowsResponse> drain() {
    List<GetFlowsResponse> out = new ArrayList<>(queue.size());
    while (!queue.isEmpty()) {
      out.add(queue.poll().response());
    }
    return out;
  }

  boolean isEmpty() {
    return queue.isEmpty();
  }

  private static int compare(Timestamp a, Timestamp b) {
    int bySeconds = Long.compare(a.getSeconds(), b.getSeconds());
    return bySeconds != 0 ? bySeconds : Integer.compare(a.getNanos(), b.getNanos());
  }
}
