package io.hexgate.observer.server;

import io.grpc.BindableService;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerBuilder;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;

/** What a Hubble server exposes besides its services: well-known ports, grpc health, version header. */
public final class HubbleServices {
  /** The agent's Hubble server (observer + peer). */
  public static final int AGENT_PORT = 4244;
  /** Hubble Relay. */
  public static final int RELAY_PORT = 4245;
  /** Hubble's Prometheus metrics. */
  public static final int METRICS_PORT = 9965;
  /** The health service name the hubble CLI checks. */
  public static final String HEALTH_SERVICE = "hubble.server.Observer";
  /** Response header carrying an agent's version. */
  public static final String SERVER_VERSION_HEADER = "hubble-server-version";
  /** Response header carrying the relay's version. */
  public static final String RELAY_VERSION_HEADER = "hubble-relay-version";

  private HubbleServices() {}

  /** Adds {@code services} and grpc health, answering SERVING for "" and {@value #HEALTH_SERVICE}. */
  public static ServerBuilder<?> addTo(ServerBuilder<?> builder, BindableService... services) {
    for (BindableService service : services) {
      builder.addService(service);
    }
    HealthStatusManager health = new HealthStatusManager();
    health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
    health.setStatus(HEALTH_SERVICE, ServingStatus.SERVING);
    return builder.addService(health.getHealthService());
  }

  /** Adds response header {@code headerName: version} to every call ({@link #SERVER_VERSION_HEADER} or {@link #RELAY_VERSION_HEADER}). */
  public static ServerInterceptor versionHeader(String headerName, String version) {
    Metadata.Key<String> key = Metadata.Key.of(headerName, Metadata.ASCII_STRING_MARSHALLER);
    return new ServerInterceptor() {
      @Override
      public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
          ServerCallHandler<Q, A> next) {
        return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
          @Override
          public void sendHeaders(Metadata responseHeaders) {
            responseHeaders.put(key, version);
            super.sendHeaders(responseHeaders);
          }
        }, headers);
      }
    };
  }
}
