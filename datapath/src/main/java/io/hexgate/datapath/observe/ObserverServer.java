package io.hexgate.datapath.observe;

import io.grpc.BindableService;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptors;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.hexgate.datapath.agent.AgentCredentials;
import io.hexgate.datapath.netns.NetNs;
import io.hexgate.datapath.netns.NetNsThread;
import io.hexgate.observer.server.HubbleServices;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The agent's Hubble server on 4244: Observer, Peer and health, over mutual TLS with the node's
 * certificate (only the relay's certificate is let in), inside the node's network namespace when the agent
 * runs for one (a lab node), as a real agent listens on its host.
 */
public final class ObserverServer implements AutoCloseable {
  private final Server server;
  private final EventLoopGroup loops; // null when gRPC's shared ones serve
  private final ExecutorService calls; // null when gRPC's shared executor runs the calls

  private ObserverServer(Server server, EventLoopGroup loops, ExecutorService calls) {
    this.server = server;
    this.loops = loops;
    this.calls = calls;
  }

  /** Starts serving {@code services} on {@code options.port()}; {@code netns} null for this process's namespace. */
  public static ObserverServer start(ObserveOptions options, String netns, String version, BindableService... services)
      throws IOException {
    NettyServerBuilder builder = NettyServerBuilder.forPort(options.port(), credentials(options));
    EventLoopGroup loops = null;
    ExecutorService calls = null;
    if (netns != null) {
      // threads a namespace's thread starts stay in it: gRPC's shared event loops must not be born here,
      // so this server has loops of its own, all inside the node's namespace; and its calls, handed on by
      // those loops, run on threads of its own too: a thread the loops started in gRPC's shared executor
      // would run the rest of the process's calls (the operator's, other nodes') in this namespace
      loops = new NioEventLoopGroup(1, NetNsThread.factory("hexgate-hubble-" + netns, NetNs.path(netns)));
      calls = Executors.newCachedThreadPool(NetNsThread.factory("hexgate-hubble-calls-" + netns, NetNs.path(netns)));
      builder.bossEventLoopGroup(loops).workerEventLoopGroup(loops).channelType(NioServerSocketChannel.class)
          .executor(calls);
    }
    builder.intercept(HubbleServices.versionHeader("hubble-server-version", version));
    if (options.tls() != null) {
      for (int i = 0; i < services.length; i++) {
        BindableService s = services[i];
        services[i] = () -> ServerInterceptors.intercept(s, new RelayOnly());
      }
    }
    HubbleServices.addTo(builder, services);
    Server server = builder.build();
    if (netns == null) {
      return new ObserverServer(server.start(), null, null);
    }
    // the listening socket is made by the thread that starts the server, so it is the node's
    try (NetNsThread t = NetNsThread.enter(netns)) {
      return new ObserverServer(t.call(server::start), loops, calls);
    } catch (Exception e) {
      loops.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      calls.shutdownNow();
      if (e instanceof IOException io) {
        throw io;
      }
      if (e instanceof RuntimeException re) {
        throw re;
      }
      throw new IOException("cannot serve flows in network namespace " + netns, e);
    }
  }

  private static ServerCredentials credentials(ObserveOptions options) {
    if (options.tls() == null) {
      return InsecureServerCredentials.create();
    }
    try {
      return TlsServerCredentials.newBuilder()
          .keyManager(options.tls().keyManager())
          .trustManager(options.tls().directory().resolve(AgentCredentials.CA_FILE).toFile())
          .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
          .build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the CA certificate in " + options.tls().directory(), e);
    }
  }

  public int port() {
    return server.getPort();
  }

  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (loops != null) {
      loops.shutdownGracefully(0, 0, TimeUnit.SECONDS);
    }
    if (calls != null) {
      calls.shutdownNow();
    }
  }
}
