package io.hexgate.datapath.observe;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.stub.StreamObserver;
import io.hexgate.contract.hubble.observer.ObserverGrpc;
import io.hexgate.contract.hubble.observer.ServerStatusRequest;
import io.hexgate.contract.hubble.observer.ServerStatusResponse;
import io.hexgate.datapath.netns.NetNs;
import io.hexgate.datapath.netns.NetNsThread;
import io.hexgate.observer.buffer.FlowRing;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The agent's Hubble server inside a node's namespace (a lab node). Needs root. */
class ObserverServerTest {
  /** Answers ServerStatus with the network namespace of the thread that ran the call, in {@code version}. */
  private static final class WhereCalled extends ObserverGrpc.ObserverImplBase {
    @Override
    public void serverStatus(ServerStatusRequest request, StreamObserver<ServerStatusResponse> responses) {
      responses.onNext(ServerStatusResponse.newBuilder().setVersion(netnsOfThisThread()).build());
      responses.onCompleted();
    }
  }

  /**
   * Threads the node's server starts live in the node's namespace: none of them may join a pool the
   * whole process shares (gRPC's default executor), where the operator's and other nodes' calls run.
   */
  @Test
  void aNodesCallsRunInItsNamespaceOnThreadsOfTheServersOwn() throws Exception {
    NetNs.unavailable().ifPresent(why -> Assumptions.abort("skipping the observer server namespace test: " + why));
    String netns = "hg-obs-" + ProcessHandle.current().pid();
    NetNs.add(netns);
    ObserveOptions options = new ObserveOptions(0, FlowRing.DEFAULT_CAPACITY, null, "", 0, null);
    try (ObserverServer server = ObserverServer.start(options, netns, "test", new WhereCalled());
        NetNsThread inNode = NetNsThread.enter(netns)) {
      EventLoopGroup loops = new NioEventLoopGroup(1, NetNsThread.factory("test-client", NetNs.path(netns)));
      // the client's own threads too, so that only the server could have put one in the shared pool
      ExecutorService offload = Executors.newCachedThreadPool(NetNsThread.factory("test-client-offload", NetNs.path(netns)));
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port())
          .eventLoopGroup(loops)
          .directExecutor()
          .offloadExecutor(offload)
          .channelFactory(() -> {
            try {
              return inNode.call(NioSocketChannel::new);
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          })
          .usePlaintext()
          .build();
      try {
        for (int i = 0; i < 5; i++) {
          ServerStatusResponse status = ObserverGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
              .serverStatus(ServerStatusRequest.getDefaultInstance());
          assertThat(status.getVersion()).as("the node's calls run in its namespace").isEqualTo(inNode.call(ObserverServerTest::netnsOfThisThread));
        }
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        loops.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        offload.shutdownNow();
      }

      // the process's own calls, on gRPC's shared executor, run where this process is
      String name = InProcessServerBuilder.generateName();
      Server local = InProcessServerBuilder.forName(name).addService(new WhereCalled()).build().start();
      ManagedChannel localChannel = InProcessChannelBuilder.forName(name).build();
      try {
        Set<String> where = new HashSet<>();
        for (int i = 0; i < 20; i++) {
          where.add(ObserverGrpc.newBlockingStub(localChannel).serverStatus(ServerStatusRequest.getDefaultInstance()).getVersion());
        }
        assertThat(where).containsOnly(netnsOfThisThread());
      } finally {
        localChannel.shutdownNow();
        local.shutdownNow();
      }
    } finally {
      NetNs.delete(netns);
    }
  }

  private static String netnsOfThisThread() {
    try {
      return Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
