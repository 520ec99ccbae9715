package io.hexgate.operator.relay;

import com.google.protobuf.Timestamp;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.observer.GetFlowsRequest;
import io.hexgate.contract.hubble.observer.GetFlowsResponse;
import io.hexgate.contract.hubble.observer.GetNamespacesRequest;
import io.hexgate.contract.hubble.observer.GetNamespacesResponse;
import io.hexgate.contract.hubble.observer.Namespace;
import io.hexgate.contract.hubble.observer.ObserverGrpc;
import io.hexgate.contract.hubble.observer.ServerStatusRequest;
import io.hexgate.contract.hubble.observer.ServerStatusResponse;
import io.hexgate.observer.peer.PeerInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An agent's Hubble server over a list of flows, served in process under its {@link #address()}: GetFlows
 * sends the last {@code number} (all for 0) and, following, every flow {@link #add}ed later; ServerStatus
 * and GetNamespaces answer what it was given.
 */
final class FakeAgent implements AutoCloseable {
  private final String node;
  private final String address = "agent-" + UUID.randomUUID();
  private final List<Flow> flows = new ArrayList<>();
  private final List<ServerCallStreamObserver<GetFlowsResponse>> followers = new CopyOnWriteArrayList<>();
  private final AtomicInteger openCalls = new AtomicInteger();
  private ServerStatusResponse status = ServerStatusResponse.getDefaultInstance();
  private List<String> namespaces = List.of();
  private Status failure;
  private final Server server;

  FakeAgent(String node, long... times) {
    this.node = node;
    for (long t : times) {
      flows.add(flow(node, t));
    }
    try {
      server = InProcessServerBuilder.forName(address).addService(new Observer()).build().start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A flow of {@code node} at {@code seconds} past the epoch, with the time as its summary. */
  static Flow flow(String node, long seconds) {
    return Flow.newBuilder()
        .setTime(Timestamp.newBuilder().setSeconds(seconds))
        .setNodeName(node)
        .setSummary(node + "@" + seconds)
        .build();
  }

  /** Its Observer service, to serve elsewhere too. */
  ObserverGrpc.ObserverImplBase observer() {
    return new Observer();
  }

  String address() {
    return address;
  }

  PeerInfo peer() {
    return new PeerInfo(node, address, null);
  }

  FakeAgent status(ServerStatusResponse s) {
    status = s;
    return this;
  }

  FakeAgent namespaces(String... names) {
    namespaces = List.of(names);
    return this;
  }

  /** GetFlows fails with {@code s} from now on. */
  FakeAgent failing(Status s) {
    failure = s;
    return this;
  }

  /** GetFlows calls not finished yet. */
  int openCalls() {
    return openCalls.get();
  }

  synchronized void add(long seconds) {
    Flow f = flow(node, seconds);
    flows.add(f);
    followers.forEach(o -> o.onNext(response(f)));
  }

  private static GetFlowsResponse response(Flow f) {
    return GetFlowsResponse.newBuilder().setFlow(f).setNodeName(f.getNodeName()).setTime(f.getTime()).build();
  }

  private final class Observer extends ObserverGrpc.ObserverImplBase {
    @Override
    public void getFlows(GetFlowsRequest request, StreamObserver<GetFlowsResponse> responseObserver) {
      if (failure != null) {
        responseObserver.onError(failure.asRuntimeException());
        return;
      }
      ServerCallStreamObserver<GetFlowsResponse> out = (ServerCallStreamObserver<GetFlowsResponse>) responseObserver;
      openCalls.incrementAndGet();
      synchronized (FakeAgent.this) {
        int from = request.getNumber() == 0 ? 0 : (int) Math.max(0, flows.size() - request.getNumber());
        flows.subList(from, flows.size()).forEach(f -> out.onNext(response(f)));
        if (!request.getFollow()) {
          openCalls.decrementAndGet();
          out.onCompleted();
          return;
        }
        followers.add(out);
        out.setOnCancelHandler(
            () -> {
              followers.remove(out);
              openCalls.decrementAndGet();
            });
      }
    }

    @Override
    public void serverStatus(ServerStatusRequest request, StreamObserver<ServerStatusResponse> responseObserver) {
      responseObserver.onNext(status);
      responseObserver.onCompleted();
    }

    @Override
    public void getNamespaces(GetNamespacesRequest request, StreamObserver<GetNamespacesResponse> responseObserver) {
      GetNamespacesResponse.Builder r = GetNamespacesResponse.newBuilder();
      namespaces.forEach(n -> r.addNamespaces(Namespace.newBuilder().setNamespace(n)));
      responseObserver.onNext(r.build());
      responseObserver.onCompleted();
    }
  }

  @Override
  public void close() {
    server.shutdownNow();
  }
}
