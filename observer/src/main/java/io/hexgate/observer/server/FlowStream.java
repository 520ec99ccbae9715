package io.hexgate.observer.server;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.LostEvent;
import io.hexgate.contract.hubble.flow.LostEventSource;
import io.hexgate.contract.hubble.observer.GetFlowsRequest;
import io.hexgate.contract.hubble.observer.GetFlowsResponse;
import io.hexgate.observer.buffer.FlowRing;
import io.hexgate.observer.buffer.RingEntry;
import io.hexgate.observer.buffer.RingReader;
import io.hexgate.observer.filter.FlowPredicate;
import io.hexgate.observer.mask.FlowMask;
import java.time.Clock;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One GetFlows call: reads the ring from its start position and sends what the request asks for, only
 * while gRPC says the client keeps up ({@code isReady}). A client that stops reading is not buffered
 * for: the writer laps it in the ring, and it is told how much it missed with a lost event.
 *
 * <p>Sending runs on the observer's executor, one drain at a time per call. What wakes a drain: a ring
 * write while caught up (following), the transport becoming ready again, and the start. The writer
 * only reads the state and schedules at most one drain per batch; it never sends itself.
 */
final class FlowStream implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(FlowStream.class);

  private static final int RUNNING = 0;   // a drain is scheduled or running
  private static final int CAUGHT_UP = 1; // following, nothing left to read: a write schedules a drain
  private static final int BLOCKED = 2;   // the client is not reading: readiness schedules a drain
  private static final int DONE = 3;

  private final FlowRing ring;
  private final RingReader reader;
  private final FlowPredicate filter;
  private final FlowMask mask;
  private final boolean follow;
  private final long number;
  private final long sinceNanos;
  private final long untilNanos;
  // without follow, the stream ends where the buffer ended when it began, however fast flows arrive
  private final long endBefore;
  private final String nodeName;
  private final Clock clock;
  private final Executor executor;
  private final ServerCallStreamObserver<GetFlowsResponse> calls;
  private final AtomicInteger state = new AtomicInteger(RUNNING);
  private volatile boolean cancelled;
  private FlowRing.Subscription writes;
  private long sent;

  FlowStream(FlowRing ring, GetFlowsRequest request, FlowPredicate filter, FlowMask mask, String nodeName,
      Clock clock, Executor executor, ServerCallStreamObserver<GetFlowsResponse> calls) {
    this.ring = ring;
    this.filter = filter;
    this.mask = mask;
    this.follow = request.getFollow();
    this.number = request.getNumber();
    this.sinceNanos = request.hasSince() ? ProtoTimes.nanos(request.getSince()) : Long.MIN_VALUE;
    this.untilNanos = request.hasUntil() ? ProtoTimes.nanos(request.getUntil()) : Long.MAX_VALUE;
    this.nodeName = nodeName;
    this.clock = clock;
    this.executor = executor;
    this.calls = calls;
    this.reader = startOf(ring, request, filter);
    this.endBefore = follow ? Long.MAX_VALUE : ring.nextSequence();
  }

  /**
   * Where Hubble's local observer starts reading: the oldest entry for {@code first} without
   * {@code since}; only new entries for {@code follow} without {@code number} or {@code since};
   * otherwise walking back from the newest entry until {@code number} flows pass the filters, or until
   * a flow older than {@code since} (which takes precedence over {@code number}).
   */
  static RingReader startOf(FlowRing ring, GetFlowsRequest request, FlowPredicate filter) {
    boolean hasSince = request.hasSince();
    if (request.getFirst() && !hasSince) {
      return ring.readFromOldest();
    }
    if (request.getFollow() && request.getNumber() == 0 && !hasSince) {
      return ring.readFromNewest();
    }
    long since = hasSince ? ProtoTimes.nanos(request.getSince()) : 0;
    RingReader back = ring.readFromNewest();
    long matched = 0;
    RingEntry entry;
    while ((entry = back.previous()) != null) {
      if (entry instanceof RingEntry.FlowEntry flow) {
        if (hasSince) {
          if (flow.timeNanos() < since) {
            return ring.readFrom(back.position() + 1);
          }
        } else if (filter.test(flow.flow()) && ++matched == request.getNumber()) {
          break;
        }
      }
    }
    return ring.readFrom(back.position());
  }

  void start() {
    calls.setOnCancelHandler(this::cancel);
    calls.setOnReadyHandler(this::wakeIfBlocked);
    if (follow) {
      followWrites();
    }
    executor.execute(this);
  }

  private synchronized void followWrites() {
    if (!cancelled) {
      writes = ring.onWrite(this::wakeIfCaughtUp);
    }
  }

  private void wakeIfCaughtUp() {
    if (state.get() == CAUGHT_UP && state.compareAndSet(CAUGHT_UP, RUNNING)) {
      executor.execute(this);
    }
  }

  private void wakeIfBlocked() {
    if (state.get() == BLOCKED && state.compareAndSet(BLOCKED, RUNNING)) {
      executor.execute(this);
    }
  }

  private void cancel() {
    cancelled = true;
    stopFollowing();
  }

  @Override
  public void run() {
    try {
      drain();
    } catch (RuntimeException e) {
      if (cancelled) {
        return;
      }
      LOG.warn("GetFlows stream failed", e);
      finish(Status.INTERNAL.withDescription("cannot send flows: " + e).withCause(e));
    }
  }

  private void drain() {
    while (true) {
      while (calls.isReady()) {
        if (cancelled) {
          state.set(DONE);
          return;
        }
        RingEntry entry = reader.next();
        if (!follow && (entry == null || entry.sequence() >= endBefore)) {
          finish(Status.OK);
          return;
        }
        if (entry == null) {
          state.set(CAUGHT_UP);
          // a write between next() and CAUGHT_UP saw RUNNING and left it to us: look once more
          if (reader.hasNext() && state.compareAndSet(CAUGHT_UP, RUNNING)) {
            continue;
          }
          return;
        }
        if (!send(entry)) {
          finish(Status.OK);
          return;
        }
      }
      state.set(BLOCKED);
      // readiness between isReady() and BLOCKED saw RUNNING and left it to us: look once more
      if (cancelled || !calls.isReady() || !state.compareAndSet(BLOCKED, RUNNING)) {
        return;
      }
    }
  }

  /** Sends what the request wants of one entry; false when the stream is complete. */
  private boolean send(RingEntry entry) {
    if (entry instanceof RingEntry.LostEntry lost) {
      // lost events bypass filters and time bounds, and do not count towards number
      LostEvent event = lost.event();
      if (event.getSource() == LostEventSource.HUBBLE_RING_BUFFER
          && event.getNumEventsLost() > endBefore - lost.sequence()) {
        // lapped without following: what was written after the request began was never asked for
        event = event.toBuilder().setNumEventsLost(endBefore - lost.sequence()).build();
      }
      calls.onNext(GetFlowsResponse.newBuilder()
          .setLostEvents(event)
          .setNodeName(nodeName)
          .setTime(event.hasLast() ? event.getLast() : ProtoTimes.now(clock))
          .build());
      return true;
    }
    RingEntry.FlowEntry flowEntry = (RingEntry.FlowEntry) entry;
    long time = flowEntry.timeNanos();
    if (time > untilNanos) {
      return false;
    }
    Flow flow = flowEntry.flow();
    if (time < sinceNanos || !filter.test(flow)) {
      return true;
    }
    calls.onNext(GetFlowsResponse.newBuilder()
        .setFlow(mask.apply(flow))
        .setNodeName(flow.getNodeName())
        .setTime(flow.getTime())
        .build());
    sent++;
    return follow || number == 0 || sent < number;
  }

  private void finish(Status status) {
    state.set(DONE);
    stopFollowing();
    if (cancelled) {
      return;
    }
    try {
      if (status.isOk()) {
        calls.onCompleted();
      } else {
        calls.onError(status.asRuntimeException());
      }
    } catch (StatusRuntimeException | IllegalStateException e) {
      LOG.debug("GetFlows call ended before it completed", e);
    }
  }

  private synchronized void stopFollowing() {
    if (writes != null) {
      writes.close();
      writes = null;
    }
  }
}
