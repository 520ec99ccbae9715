package io.hexgate.operator.relay;

import com.google.protobuf.Timestamp;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.hexgate.contract.hubble.observer.GetFlowsRequest;
import io.hexgate.contract.hubble.observer.GetFlowsResponse;
import io.hexgate.contract.hubble.observer.ObserverGrpc;
import io.hexgate.contract.hubble.relay.NodeState;
import io.hexgate.contract.hubble.relay.NodeStatusEvent;
import io.hexgate.operator.relay.AgentChannels.Agent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One GetFlows call of the relay, as Hubble Relay makes it: the same request to every reachable peer
 * (so {@code number} counts per node), node_status NODE_CONNECTED then NODE_UNAVAILABLE before any flow,
 * the peers' answers merged in time order through a {@link SortBuffer} (drained after a quiet spell, and
 * never held longer than twice that), a failed peer stream told as NODE_ERROR (identical errors within a
 * window told once, naming every node). Without follow it ends when every peer stream has; with follow it
 * looks for new peers (and peers whose stream ended) periodically and streams from them too, until the
 * client cancels. Cancelling cancels every peer call (they run in a child of the call's context).
 */
final class FlowsFanOut {
  private static final Logger LOG = LoggerFactory.getLogger(FlowsFanOut.class);
  private static final GetFlowsResponse PEER_ENDED = GetFlowsResponse.getDefaultInstance();
  private static final int QUEUE = 1024;
  private static final long TICK_MS = 5;

  private final GetFlowsRequest request;
  private final ServerCallStreamObserver<GetFlowsResponse> out;
  private final Supplier<List<Agent>> agents;
  private final RelayOptions options;
  private final Executor threads;
  private final ScheduledExecutorService timer;
  private final Context.CancellableContext context = Context.current().withCancellation();
  private final BlockingQueue<GetFlowsResponse> arrived = new ArrayBlockingQueue<>(QUEUE);
  private final Set<String> streaming = ConcurrentHashMap.newKeySet();
  private final AtomicInteger running = new AtomicInteger();
  private final Object writable = new Object();

  FlowsFanOut(
      GetFlowsRequest request,
      ServerCallStreamObserver<GetFlowsResponse> out,
      Supplier<List<Agent>> agents,
      RelayOptions options,
      Executor threads,
      ScheduledExecutorService timer) {
    this.request = request;
    this.out = out;
    this.agents = agents;
    this.options = options;
    this.threads = threads;
    this.timer = timer;
  }

  /** Starts the call; returns at once (called on the gRPC handler thread, which must set the handlers). */
  void start() {
    out.setOnCancelHandler(() -> context.cancel(null));
    out.setOnReadyHandler(
        () -> {
          synchronized (writable) {
            writable.notifyAll();
          }
        });
    threads.execute(this::run);
  }

  private void run() {
    try {
      Collected first = collect(agents.get()).join();
      if (!first.connected().isEmpty()) {
        send(status(NodeState.NODE_CONNECTED, first.connected(), ""));
      }
      if (!first.unavailable().isEmpty()) {
        send(status(NodeState.NODE_UNAVAILABLE, first.unavailable(), ""));
      }
      if (request.getFollow()) {
        recheckLater();
      }
      merge();
    } catch (RuntimeException e) {
      LOG.warn("relaying flows failed", e);
      if (!context.isCancelled()) {
        out.onError(Status.INTERNAL.withDescription(String.valueOf(e.getMessage())).asRuntimeException());
      }
    } finally {
      context.cancel(null); // ends whatever peer calls remain
    }
  }

  private record Collected(List<String> connected, List<String> unavailable) {}

  // Hubble's flow collector: a peer already streaming counts as connected; a reachable one starts streaming
  private CompletableFuture<Collected> collect(List<Agent> peers) {
    List<CompletableFuture<Boolean>> checks = new ArrayList<>();
    for (Agent a : peers) {
      checks.add(
          streaming.contains(a.name())
              ? CompletableFuture.completedFuture(true)
              : AgentChannels.reachable(a, options.connectTimeout()));
    }
    return CompletableFuture.allOf(checks.toArray(CompletableFuture[]::new))
        .thenApply(
            done -> {
              List<String> connected = new ArrayList<>();
              List<String> unavailable = new ArrayList<>();
              for (int i = 0; i < peers.size(); i++) {
                Agent a = peers.get(i);
                if (!checks.get(i).join()) {
                  unavailable.add(a.name());
                  continue;
                }
                connected.add(a.name());
                if (!context.isCancelled() && streaming.add(a.name())) {
                  stream(a);
                }
              }
              return new Collected(connected, unavailable);
            });
  }

  private void recheckLater() {
    if (context.isCancelled()) {
      return;
    }
    timer.schedule(
        () -> collect(agents.get()).whenComplete((c, e) -> recheckLater()),
        options.peerRecheck().toMillis(),
        TimeUnit.MILLISECONDS);
  }

  private void stream(Agent agent) {
    running.incrementAndGet();
    threads.execute(
        context.wrap(
            () -> {
              try {
                Iterator<GetFlowsResponse> answers = ObserverGrpc.newBlockingStub(agent.channel()).getFlows(request);
                while (answers.hasNext()) {
                  put(answers.next());
                }
              } catch (StatusRuntimeException e) {
                if (!context.isCancelled()) {
                  LOG.info("flows from {} failed: {}", agent.name(), e.getStatus());
                  put(status(NodeState.NODE_ERROR, List.of(agent.name()), goError(e.getStatus())));
                }
              } catch (RuntimeException e) {
                if (!context.isCancelled()) {
                  LOG.warn("flows from {} failed", agent.name(), e);
                  put(status(NodeState.NODE_ERROR, List.of(agent.name()), String.valueOf(e.getMessage())));
                }
              } finally {
                // gone from the streaming set first, so that a recheck may stream from it again
                streaming.remove(agent.name());
                running.decrementAndGet();
                put(PEER_ENDED);
              }
            }));
  }

  private void put(GetFlowsResponse r) {
    try {
      while (!context.isCancelled() && !arrived.offer(r, 100, TimeUnit.MILLISECONDS)) {
        // the client reads slower than the peers send: they wait here, and gRPC's flow control slows them
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void merge() {
    boolean follow = request.getFollow();
    long quietNanos = (follow ? options.followDrainTimeout() : options.drainTimeout()).toNanos();
    // a follower sees a flow at most a tenth of the quiet spell after it reached the relay
    long maxHoldNanos = follow ? quietNanos / 10 : Long.MAX_VALUE;
    long windowNanos = options.errorWindow().toNanos();
    SortBuffer buffer = new SortBuffer(options.sortBufferSize());
    ErrorAggregate pendingError = null;
    long lastArrival = 0;
    long firstHeld = 0;
    while (!context.isCancelled()) {
      if (!follow && running.get() == 0 && arrived.isEmpty()) {
        break;
      }
      GetFlowsResponse r = poll();
      long now = System.nanoTime();
      if (r != null && r != PEER_ENDED) {
        GetFlowsResponse ready = null;
        if (r.getNodeStatus().getStateChange() == NodeState.NODE_ERROR) {
          if (pendingError != null && pendingError.merge(r)) {
            continue;
          }
          ready = pendingError == null ? null : pendingError.response();
          pendingError = new ErrorAggregate(r, now + windowNanos);
        } else {
          ready = r;
        }
        if (ready != null) {
          if (buffer.isEmpty()) {
            firstHeld = now;
          }
          lastArrival = now;
          buffer.add(ready, now).ifPresent(this::send);
        }
      }
      if (pendingError != null && now >= pendingError.due()) {
        if (buffer.isEmpty()) {
          firstHeld = now;
        }
        lastArrival = now;
        buffer.add(pendingError.response()).ifPresent(this::send);
        pendingError = null;
      }
      if (!buffer.isEmpty() && (now - lastArrival >= quietNanos || now - firstHeld >= 2 * quietNanos)) {
        buffer.drain().forEach(this::send);
      } else if (follow && !buffer.isEmpty()) {
        buffer.releaseArrivedBefore(now - maxHoldNanos).forEach(this::send);
      }
    }
    if (context.isCancelled()) {
      return;
    }
    if (pendingError != null) {
      buffer.add(pendingError.response()).ifPresent(this::send);
    }
    buffer.drain().forEach(this::send);
    out.onCompleted();
  }

  private GetFlowsResponse poll() {
    try {
      return arrived.poll(TICK_MS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      context.cancel(e);
      return null;
    }
  }

  /** A NODE_ERROR held for the error window, naming every node that failed with the same message meanwhile. */
  private static final class ErrorAggregate {
    private final GetFlowsResponse.Builder response;
    private final long due;

    ErrorAggregate(GetFlowsResponse first, long due) {
      this.response = first.toBuilder();
      this.due = due;
    }

    boolean merge(GetFlowsResponse r) {
      NodeStatusEvent s = r.getNodeStatus();
      if (!s.getMessage().equals(response.getNodeStatus().getMessage())) {
        return false;
      }
      response.getNodeStatusBuilder().addAllNodeNames(s.getNodeNamesList());
      return true;
    }

    long due() {
      return due;
    }

    GetFlowsResponse response() {
      return response.build();
    }
  }

  private void send(GetFlowsResponse r) {
    synchronized (writable) {
      while (!out.isReady() && !context.isCancelled()) {
        try {
          writable.wait(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          context.cancel(e);
        }
      }
    }
    if (!context.isCancelled()) {
      out.onNext(r);
    }
  }

  private GetFlowsResponse status(NodeState state, List<String> nodes, String message) {
    Instant now = options.clock().instant();
    return GetFlowsResponse.newBuilder()
        .setNodeStatus(NodeStatusEvent.newBuilder().setStateChange(state).addAllNodeNames(nodes).setMessage(message))
        .setNodeName(options.nodeName())
        .setTime(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()))
        .build();
  }

  /** A gRPC error as Go's grpc prints it, which is what Hubble Relay puts in NODE_ERROR messages. */
  static String goError(Status s) {
    StringBuilder code = new StringBuilder();
    for (String word : s.getCode().name().split("_")) {
      code.append(word.charAt(0)).append(word.substring(1).toLowerCase());
    }
    String c = switch (s.getCode()) {
      case OK -> "OK";
      case CANCELLED -> "Canceled";
      default -> code.toString();
    };
    return "rpc error: code = " + c + " desc = " + (s.getDescription() == null ? "" : s.getDescription());
  }
}
