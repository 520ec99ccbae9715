package io.hexgate.lab.observe;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.hexgate.datapath.netns.NetNs;
import io.hexgate.datapath.netns.NetNsThread;
import io.hexgate.observer.peer.PeerInfo;
import io.hexgate.observer.server.HubbleServices;
import io.hexgate.operator.relay.AgentDialer;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * How the lab's relay reaches the agents' Hubble servers. The relay runs in the lab's own namespace,
 * which has no route to the nodes (the bridge has no address there), so its sockets are made inside a node
 * namespace, from which every node's address is one hop over the bridge, as a relay pod's would be.
 * The lab's agents hold no certificate, so they serve plaintext.
 */
public final class NamespaceDialer implements AgentDialer, AutoCloseable {
  private final NetNsThread thread;
  private final EventLoopGroup loops;
  private final ExecutorService calls;

  public NamespaceDialer(String netns) {
    this.thread = NetNsThread.enter(netns);
    // the dialer's own event loops and call executor, born in that namespace: threads these start stay
    // there, so none of gRPC's shared threads may be started from them
    this.loops = new NioEventLoopGroup(1, NetNsThread.factory("hexgate-lab-relay", NetNs.path(netns)));
    this.calls = Executors.newCachedThreadPool(NetNsThread.factory("hexgate-lab-relay-calls", NetNs.path(netns)));
  }

  @Override
  public ManagedChannel dial(PeerInfo peer) {
    return NettyChannelBuilder.forAddress(peer.address(), HubbleServices.AGENT_PORT)
        .eventLoopGroup(loops)
        .executor(calls)
        .offloadExecutor(calls)
        .channelFactory(this::socketInNamespace)
        .usePlaintext()
        .build();
  }

  private NioSocketChannel socketInNamespace() {
    try {
      return thread.call(NioSocketChannel::new);
    } catch (Exception e) {
      throw new IllegalStateException("cannot open a socket in " + thread.name(), e);
    }
  }

  @Override
  public void close() {
    loops.shutdownGracefully(0, 0, TimeUnit.SECONDS);
    calls.shutdownNow();
    thread.close();
  }
}
