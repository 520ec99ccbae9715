package io.hexgate.operator.relay;

import com.google.protobuf.UInt32Value;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.hexgate.contract.hubble.observer.GetFlowsRequest;
import io.hexgate.contract.hubble.observer.GetFlowsResponse;
import io.hexgate.contract.hubble.observer.GetNamespacesRequest;
import io.hexgate.contract.hubble.observer.GetNamespacesResponse;
import io.hexgate.contract.hubble.observer.GetNodesRequest;
import io.hexgate.contract.hubble.observer.GetNodesResponse;
import io.hexgate.contract.hubble.observer.Namespace;
import io.hexgate.contract.hubble.observer.Node;
import io.hexgate.contract.hubble.observer.ObserverGrpc;
import io.hexgate.contract.hubble.observer.ServerStatusRequest;
import io.hexgate.contract.hubble.observer.ServerStatusResponse;
import io.hexgate.contract.hubble.observer.TLS;
import io.hexgate.contract.hubble.relay.NodeState;
import io.hexgate.contract.thread.DaemonThreads;
import io.hexgate.observer.peer.PeerDirectory;
import io.hexgate.observer.peer.PeerInfo;
import io.hexgate.operator.relay.AgentChannels.Agent;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hubble Relay's {@code observer.Observer}: every call answered from the peers a {@link PeerDirectory}
 * names, reached through an {@link AgentDialer}. GetFlows fans out and merges ({@link FlowsFanOut});
 * ServerStatus adds the peers' counts up; GetNodes lists each peer with its state and counts;
 * GetNamespaces is the union of the peers' namespaces.
 */
public final class HubbleRelay extends ObserverGrpc.ObserverImplBase implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HubbleRelay.class);
  private static final int MAX_UNAVAILABLE_NAMES = 10;

  private final RelayOptions options;
  private final AgentChannels channels;
  private final ExecutorService threads = Executors.newCachedThreadPool(DaemonThreads.factory("hexgate-relay"));
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.factory("hexgate-relay-timer"));

  public HubbleRelay(PeerDirectory peers, AgentDialer dialer, RelayOptions options) {
    this.options = options;
    this.channels = new AgentChannels(peers, dialer);
  }

  /** Whether some peer is connected now: what the relay's health reports. */
  public boolean anyPeerConnected() {
    return channels.anyConnected();
  }

  @Override
  public void getFlows(GetFlowsRequest request, StreamObserver<GetFlowsResponse> responseObserver) {
    if (request.getFirst() && request.getFollow()) {
      responseObserver.onError(
          Status.INVALID_ARGUMENT.withDescription("first cannot be specified with follow").asRuntimeException());
      return;
    }
    new FlowsFanOut(
            request, (ServerCallStreamObserver<GetFlowsResponse>) responseObserver, channels::agents, options, threads,
            timer)
        .start();
  }

  /** One peer's answer to a unary call, or nothing when it is unavailable or failed. */
  private record Answer<T>(Agent agent, boolean reachable, Optional<T> value) {}

  private <T> CompletableFuture<List<Answer<T>>> ask(Function<ObserverGrpc.ObserverBlockingStub, T> call) {
    List<CompletableFuture<Answer<T>>> answers = new ArrayList<>();
    for (Agent a : channels.agents()) {
      answers.add(
          AgentChannels.reachable(a, options.connectTimeout())
              .thenApplyAsync(
                  up -> {
                    if (!up) {
                      return new Answer<T>(a, false, Optional.empty());
                    }
                    try {
                      return new Answer<>(a, true, Optional.of(call.apply(stub(a.channel()))));
                    } catch (RuntimeException e) {
                      LOG.info("{} did not answer: {}", a.name(), Status.fromThrowable(e));
                      return new Answer<T>(a, true, Optional.empty());
                    }
                  },
                  threads));
    }
    return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
        .thenApply(done -> answers.stream().map(CompletableFuture::join).toList());
  }

  private ObserverGrpc.ObserverBlockingStub stub(ManagedChannel channel) {
    return ObserverGrpc.newBlockingStub(channel).withDeadlineAfter(options.callTimeout().toMillis(), TimeUnit.MILLISECONDS);
  }

  // the answer made from the peers' answers, or INTERNAL naming what went wrong
  private static <T, R> void reply(
      StreamObserver<R> out, CompletableFuture<List<Answer<T>>> answers, Function<List<Answer<T>>, R> make) {
    answers
        .thenApply(make)
        .whenComplete(
            (r, e) -> {
              if (e != null) {
                LOG.warn("answering from the peers failed", e);
                out.onError(Status.INTERNAL.withDescription(String.valueOf(e.getMessage())).asRuntimeException());
              } else {
                out.onNext(r);
                out.onCompleted();
              }
            });
  }

  @Override
  public void serverStatus(ServerStatusRequest request, StreamObserver<ServerStatusResponse> responseObserver) {
    reply(responseObserver, ask(s -> s.serverStatus(request)), this::status);
  }

  // sums, the longest uptime, and how many nodes answered and did not (naming ten of those)
  private ServerStatusResponse status(List<Answer<ServerStatusResponse>> answers) {
    ServerStatusResponse.Builder out = ServerStatusResponse.newBuilder().setVersion(options.version());
    List<String> unavailable = new ArrayList<>();
    int connected = 0;
    for (Answer<ServerStatusResponse> a : answers) {
      if (a.value().isEmpty()) {
        unavailable.add(a.agent().name());
        continue;
      }
      connected++;
      ServerStatusResponse s = a.value().get();
      out.setNumFlows(out.getNumFlows() + s.getNumFlows())
          .setMaxFlows(out.getMaxFlows() + s.getMaxFlows())
          .setSeenFlows(out.getSeenFlows() + s.getSeenFlows())
          .setUptimeNs(Math.max(out.getUptimeNs(), s.getUptimeNs()))
          .setFlowsRate(out.getFlowsRate() + s.getFlowsRate())
          .setLostEvents(out.getLostEvents() + s.getLostEvents());
    }
    return out.setNumConnectedNodes(UInt32Value.of(connected))
        .setNumUnavailableNodes(UInt32Value.of(unavailable.size()))
        .addAllUnavailableNodes(unavailable.subList(0, Math.min(MAX_UNAVAILABLE_NAMES, unavailable.size())))
        .build();
  }

  @Override
  public void getNodes(GetNodesRequest request, StreamObserver<GetNodesResponse> responseObserver) {
    reply(responseObserver, ask(s -> s.serverStatus(ServerStatusRequest.getDefaultInstance())), HubbleRelay::nodes);
  }

  private static GetNodesResponse nodes(List<Answer<ServerStatusResponse>> answers) {
    GetNodesResponse.Builder out = GetNodesResponse.newBuilder();
    for (Answer<ServerStatusResponse> a : answers) {
      PeerInfo peer = a.agent().peer();
      Node.Builder n =
          Node.newBuilder()
              .setName(peer.name())
              .setAddress(peer.target())
              .setTls(TLS.newBuilder().setEnabled(peer.tls()).setServerName(peer.tls() ? peer.tlsServerName() : ""));
      if (!a.reachable()) {
        n.setState(NodeState.NODE_UNAVAILABLE);
      } else if (a.value().isEmpty()) {
        n.setState(NodeState.NODE_ERROR);
      } else {
        ServerStatusResponse s = a.value().get();
        n.setState(NodeState.NODE_CONNECTED)
            .setVersion(s.getVersion())
            .setUptimeNs(s.getUptimeNs())
            .setNumFlows(s.getNumFlows())
            .setMaxFlows(s.getMaxFlows())
            .setSeenFlows(s.getSeenFlows())
            .setLostEvents(s.getLostEvents())
            .setAppliedRevision(s.getAppliedRevision())
            .setEnforcing(s.getEnforcing())
            .setNotEnforcingReason(s.getNotEnforcingReason());
      }
      out.addNodes(n);
    }
    return out.build();
  }

  @Override
  public void getNamespaces(GetNamespacesRequest request, StreamObserver<GetNamespacesResponse> responseObserver) {
    reply(
        responseObserver,
        ask(s -> s.getNamespaces(request)),
        answers -> {
          TreeSet<Namespace> all =
              new TreeSet<>(Comparator.comparing(Namespace::getCluster).thenComparing(Namespace::getNamespace));
          answers.forEach(a -> a.value().ifPresent(r -> all.addAll(r.getNamespacesList())));
          return GetNamespacesResponse.newBuilder().addAllNamespaces(all).build();
        });
  }

  @Override
  public void close() {
    channels.close();
    timer.shutdownNow();
    threads.shutdownNow();
  }
}
