package io.hexgate.bench.observe;

import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.LostEvent;
import io.hexgate.contract.hubble.flow.LostEventSource;
import io.hexgate.contract.hubble.observer.GetFlowsRequest;
import io.hexgate.contract.hubble.observer.GetFlowsResponse;
import io.hexgate.contract.hubble.observer.ObserverGrpc;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A GetFlows client that only counts: flows, the ring buffer's lost events (what the server's ring overwrote
 * before this client read it) and other lost events, node_status events. On request it also keeps, for
 * flows of one node, when each arrived (by UUID, System.nanoTime) and how old each was on arrival (now minus
 * the flow's time), up to a bounded number of samples. Callbacks come one at a time from gRPC.
 */
final class Follower implements AutoCloseable {
  private final String name;
  private final AtomicLong flows = new AtomicLong();
  private final AtomicLong ringLost = new AtomicLong();
  private final AtomicLong otherLost = new AtomicLong();
  private final AtomicLong nodeStatuses = new AtomicLong();
  private final String timedNode; // null: no timing
  private final long[] ages;
  private final Map<String, Long> arrivals = new ConcurrentHashMap<>();
  private volatile boolean timing;
  private int agesKept;
  private volatile Throwable failure;
  private volatile boolean ended;
  private volatile ClientCallStreamObserver<GetFlowsRequest> call;

  private Follower(String name, String timedNode, int maxSamples) {
    this.name = name;
    this.timedNode = timedNode;
    this.ages = new long[timedNode == null ? 0 : maxSamples];
  }

  /** Follows on {@code channel} with {@code request}; times the flows of {@code timedNode} (null: none). */
  static Follower start(String name, ManagedChannel channel, GetFlowsRequest request, String timedNode, int maxSamples) {
    Follower f = new Follower(name, timedNode, maxSamples);
    ObserverGrpc.newStub(channel).getFlows(request, f.new Responses());
    return f;
  }

  private final class Responses implements ClientResponseObserver<GetFlowsRequest, GetFlowsResponse> {
    @Override
    public void beforeStart(ClientCallStreamObserver<GetFlowsRequest> requestStream) {
      call = requestStream;
    }

    @Override
    public void onNext(GetFlowsResponse r) {
      switch (r.getResponseTypesCase()) {
        case FLOW -> onFlow(r.getFlow());
        case LOST_EVENTS -> {
          LostEvent lost = r.getLostEvents();
          (lost.getSource() == LostEventSource.HUBBLE_RING_BUFFER ? ringLost : otherLost).addAndGet(lost.getNumEventsLost());
        }
        case NODE_STATUS -> nodeStatuses.incrementAndGet();
        default -> { }
      }
    }

    @Override
    public void onError(Throwable t) {
      failure = t;
      ended = true;
    }

    @Override
    public void onCompleted() {
      ended = true;
    }
  }

  private void onFlow(Flow flow) {
    flows.incrementAndGet();
    if (!timing || !flow.getNodeName().equals(timedNode)) {
      return;
    }
    long arrived = System.nanoTime();
    Instant now = Instant.now();
    arrivals.put(flow.getUuid(), arrived);
    long nowNanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
    long age = nowNanos - (flow.getTime().getSeconds() * 1_000_000_000L + flow.getTime().getNanos());
    synchronized (this) {
      if (agesKept < ages.length) {
        ages[agesKept++] = age;
      }
    }
  }

  /** Starts (or stops) keeping arrival times: after a warm-up, and before the end. */
  void timing(boolean on) {
    timing = on;
  }

  String name() {
    return name;
  }

  long flows() {
    return flows.get();
  }

  long ringLost() {
    return ringLost.get();
  }

  long otherLost() {
    return otherLost.get();
  }

  long nodeStatuses() {
    return nodeStatuses.get();
  }

  /** How old the timed flows were on arrival (ns), in arrival order; read after timing stopped. */
  synchronized long[] ages() {
    return Arrays.copyOf(ages, agesKept);
  }

  /** When each timed flow arrived (System.nanoTime), by UUID. */
  Map<String, Long> arrivals() {
    return arrivals;
  }

  /** Why the call ended with an error; null while it runs or when it completed. */
  Throwable failure() {
    return failure;
  }

  boolean ended() {
    return ended;
  }

  @Override
  public void close() {
    ClientCallStreamObserver<GetFlowsRequest> c = call;
    if (c != null && !ended) {
      c.cancel("benchmark over", null);
    }
  }
}
