package io.hexgate.operator.relay;

import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.hexgate.contract.thread.DaemonThreads;
import io.hexgate.observer.server.HubbleServices;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The relay's plaintext gRPC port (Hubble's 4245): {@code observer.Observer} from a {@link HubbleRelay},
 * with the {@code hubble-relay-version} response header, and grpc health whose {@code ""} and
 * {@code hubble.server.Observer} are SERVING only while {@code healthy} says so (checked twice a second).
 */
public final class RelayServer implements AutoCloseable {
  private final Server server;
  private final HealthStatusManager health = new HealthStatusManager();
  private final ScheduledExecutorService checks =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.factory("hexgate-relay-health"));

  private RelayServer(String bindAddress, int port, HubbleRelay relay, String version, BooleanSupplier healthy) {
    InetSocketAddress address = bindAddress == null ? new InetSocketAddress(port) : new InetSocketAddress(bindAddress, port);
    this.server =
        NettyServerBuilder.forAddress(address, InsecureServerCredentials.create())
            .addService(ServerInterceptors.intercept(relay, HubbleServices.versionHeader(HubbleServices.RELAY_VERSION_HEADER, version)))
            .addService(health.getHealthService())
            .build();
    update(healthy);
    checks.scheduleWithFixedDelay(() -> update(healthy), 500, 500, TimeUnit.MILLISECONDS);
  }

  /**
   * Serves {@code relay} on {@code bindAddress} (null: every address) and {@code port} (0: a free one).
   *
   * @throws UncheckedIOException when the port cannot be listened on
   */
  public static RelayServer start(String bindAddress, int port, HubbleRelay relay, String version, BooleanSupplier healthy) {
    RelayServer s = new RelayServer(bindAddress, port, relay, version, healthy);
    try {
      s.server.start();
      return s;
    } catch (IOException e) {
      s.close();
      throw new UncheckedIOException("cannot serve the Hubble relay on " + (bindAddress == null ? "" : bindAddress) + ":" + port, e);
    }
  }

  private void update(BooleanSupplier healthy) {
    ServingStatus s = healthy.getAsBoolean() ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
    health.setStatus("", s);
    health.setStatus(HubbleServices.HEALTH_SERVICE, s);
  }

  public int port() {
    return server.getPort();
  }

  @Override
  public void close() {
    checks.shutdownNow();
    health.enterTerminalState();
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
