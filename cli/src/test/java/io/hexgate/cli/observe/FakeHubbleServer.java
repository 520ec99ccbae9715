package io.hexgate.cli.observe;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.stub.StreamObserver;
import io.hexgate.contract.hubble.observer.GetFlowsRequest;
import io.hexgate.contract.hubble.observer.GetFlowsResponse;
import io.hexgate.contract.hubble.observer.ObserverGrpc;
import io.hexgate.contract.hubble.observer.ServerStatusRequest;
import io.hexgate.contract.hubble.observer.ServerStatusResponse;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A Hubble server on loopback that answers GetFlows with a fixed list and ServerStatus with a fixed status, and keeps the requests. */
final class FakeHubbleServer implements AutoCloseable {
  final List<GetFlowsRequest> requests = new CopyOnWriteArrayList<>();
  private final Server server;

  FakeHubbleServer(List<GetFlowsResponse> responses, ServerStatusResponse status) throws IOException {
    HealthStatusManager health = new HealthStatusManager();
    health.setStatus(io.hexgate.observer.server.HubbleServices.HEALTH_SERVICE, ServingStatus.SERVING);
    ObserverGrpc.ObserverImplBase observer = new ObserverGrpc.ObserverImplBase() {
      @Override
      public void getFlows(GetFlowsRequest request, StreamObserver<GetFlowsResponse> out) {
        requests.add(request);
        responses.forEach(out::onNext);
        out.onCompleted();
      }

      @Override
      public void serverStatus(ServerStatusRequest request, StreamObserver<ServerStatusResponse> out) {
        out.onNext(status);
        out.onCompleted();
      }
    };
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(observer).addService(health.getHealthService()).build().start();
  }

  String address() {
    return "127.0.0.1:" + server.getPort();
  }

  @Override
  public void close() {
    server.shutdownNow();
  }
}
