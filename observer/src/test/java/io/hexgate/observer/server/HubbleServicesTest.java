package io.hexgate.observer.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.hexgate.contract.hubble.observer.ObserverGrpc;
import io.hexgate.contract.hubble.observer.ServerStatusRequest;
import io.hexgate.observer.buffer.FlowRing;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HubbleServicesTest {
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void serve() throws Exception {
    LocalObserver observer = new LocalObserver("node-1", new FlowRing(FlowRing.DEFAULT_CAPACITY),
        Clock.systemUTC(), "hexgate-0.1.0");
    String name = InProcessServerBuilder.generateName();
    server = HubbleServices.addTo(InProcessServerBuilder.forName(name)
            .intercept(HubbleServices.versionHeader(HubbleServices.SERVER_VERSION_HEADER, "0.1.0")),
        observer).build().start();
    channel = InProcessChannelBuilder.forName(name).build();
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void shouldAnswerServingForTheServiceTheHubbleCliChecksAndForTheServer() {
    HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);

    assertThat(health.check(HealthCheckRequest.newBuilder().setService("hubble.server.Observer").build())
        .getStatus()).isEqualTo(ServingStatus.SERVING);
    assertThat(health.check(HealthCheckRequest.newBuilder().setService("").build()).getStatus())
        .isEqualTo(ServingStatus.SERVING);
  }

  @Test
  void shouldSendTheVersionHeader() {
    AtomicReference<Metadata> headers = new AtomicReference<>();
    AtomicReference<Metadata> trailers = new AtomicReference<>();
    ObserverGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(headers, trailers))
        .serverStatus(ServerStatusRequest.getDefaultInstance());

    assertThat(headers.get().get(Metadata.Key.of("hubble-server-version", Metadata.ASCII_STRING_MARSHALLER)))
        .isEqualTo("0.1.0");
  }
}
