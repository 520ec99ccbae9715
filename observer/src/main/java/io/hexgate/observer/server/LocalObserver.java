package io.hexgate.observer.server;

import com.google.protobuf.Int32Value;
import com.google.protobuf.Timestamp;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.LostEvent;
import io.hexgate.contract.hubble.flow.LostEventSource;
import io.hexgate.contract.hubble.observer.GetFlowsRequest;
import io.hexgate.contract.hubble.observer.GetFlowsResponse;
import io.hexgate.contract.hubble.observer.GetNamespacesRequest;
import io.hexgate.contract.hubble.observer.GetNamespacesResponse;
import io.hexgate.contract.hubble.observer.ObserverGrpc;
import io.hexgate.contract.hubble.observer.ServerStatusRequest;
import io.hexgate.contract.hubble.observer.ServerStatusResponse;
import io.hexgate.contract.thread.DaemonThreads;
import io.hexgate.observer.buffer.FlowRing;
import io.hexgate.observer.filter.FlowFilters;
import io.hexgate.observer.filter.FlowPredicate;
import io.hexgate.observer.filter.InvalidFilterException;
import io.hexgate.observer.mask.FlowMask;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Hubble's local observer, as each agent serves it on 4244: GetFlows from the agent's {@link FlowRing}
 * (number/first/follow/since/until, whitelist/blacklist, field masks; lost events unfiltered and not
 * counted in number), ServerStatus, and the namespaces seen in the last hour. GetNodes is the relay's
 * business: an agent answers UNIMPLEMENTED, as Hubble's do.
 */
public final class LocalObserver extends ObserverGrpc.ObserverImplBase {
  private final String nodeName;
  private final FlowRing ring;
  private final Clock clock;
  private final String version;
  private final Instant started;
  private final FlowRate rate = new FlowRate();
  private final SeenNamespaces namespaces = new SeenNamespaces();
  // sends the streams' flows; idle threads go away after a while, so it needs no closing
  private final ExecutorService streams;

  private final java.util.concurrent.atomic.LongAdder lost = new java.util.concurrent.atomic.LongAdder();
  private volatile java.util.function.Consumer<ServerStatusResponse.Builder> describer = b -> {};

  public LocalObserver(String nodeName, FlowRing ring, Clock clock, String version) {
    this.nodeName = nodeName;
    this.ring = ring;
    this.clock = clock;
    this.version = version;
    this.started = clock.instant();
    this.streams = streamExecutor(nodeName);
  }

  private static ExecutorService streamExecutor(String nodeName) {
    return new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
        DaemonThreads.factory("hubble-flows-" + nodeName));
  }

  /** A flow the agent observed: named after this node if it is not yet, kept in the ring, sent to followers. */
  public void onFlow(Flow flow) {
    Instant now = clock.instant();
    if (flow.getNodeName().isEmpty() || !flow.hasTime()) {
      Flow.Builder named = flow.toBuilder();
      if (flow.getNodeName().isEmpty()) {
        named.setNodeName(nodeName);
      }
      if (!flow.hasTime()) {
        named.setTime(ProtoTimes.of(now));
      }
      flow = named.build();
    }
    long millis = now.toEpochMilli();
    rate.record(millis);
    namespaces.saw(flow, millis);
    ring.write(flow);
  }

  /**
   * Events lost before reaching the ring (the kernel's buffer or the agent's queue was full): one
   * marker, which every reader gets. {@code cpu} is the per-CPU buffer that overflowed, negative when
   * the loss is not tied to one.
   */
  public void onLost(LostEventSource source, long count, int cpu) {
    lost.add(count);
    Timestamp now = ProtoTimes.now(clock);
    LostEvent.Builder event = LostEvent.newBuilder()
        .setSource(source)
        .setNumEventsLost(count)
        .setFirst(now)
        .setLast(now);
    if (cpu >= 0) {
      event.setCpu(Int32Value.of(cpu));
    }
    ring.lost(event.build());
  }

  /**
   * Adds what the server that embeds this observer knows of itself to every status it answers (Hexgate's
   * fields of ServerStatusResponse: the revision applied, whether the kernel enforces it).
   */
  public void describeWith(java.util.function.Consumer<ServerStatusResponse.Builder> describer) {
    this.describer = describer;
  }

  public ServerStatusResponse status() {
    Instant now = clock.instant();
    Duration uptime = Duration.between(started, now);
    ServerStatusResponse.Builder status = ServerStatusResponse.newBuilder()
        .setNumFlows(ring.size())
        .setMaxFlows(ring.capacity())
        .setSeenFlows(ring.flowsWritten())
        .setUptimeNs(Math.max(0, uptime.toNanos()))
        .setVersion(version)
        .setFlowsRate(rate.perSecond(now.toEpochMilli(), uptime.toMillis()))
        .setLostEvents(lost.sum());
    describer.accept(status);
    return status.build();
  }

  @Override
  public void getFlows(GetFlowsRequest request, StreamObserver<GetFlowsResponse> responses) {
    if (request.getFirst() && request.getFollow()) {
      responses.onError(Status.INVALID_ARGUMENT
          .withDescription("first cannot be specified with follow").asRuntimeException());
      return;
    }
    FlowPredicate filter;
    FlowMask mask;
    try {
      filter = FlowFilters.compile(request.getWhitelistList(), request.getBlacklistList());
      mask = FlowMask.of(request);
    } catch (InvalidFilterException e) {
      responses.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
      return;
    }
    new FlowStream(ring, request, filter, mask, nodeName, clock, streams,
        (ServerCallStreamObserver<GetFlowsResponse>) responses).start();
  }

  @Override
  public void serverStatus(ServerStatusRequest request, StreamObserver<ServerStatusResponse> responses) {
    responses.onNext(status());
    responses.onCompleted();
  }

  @Override
  public void getNamespaces(GetNamespacesRequest request, StreamObserver<GetNamespacesResponse> responses) {
    responses.onNext(namespaces.lastHour(clock.millis()));
    responses.onCompleted();
  }

  // getNodes stays the generated UNIMPLEMENTED: only the relay knows the nodes
}
